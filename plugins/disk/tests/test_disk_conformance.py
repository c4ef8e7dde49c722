"""The kv conformance suite against ``disk://``, in each layout.

The store is opened by URL, through the ``kv.stores`` entry point of the
installed kv-disk distribution, exactly as a user would open it. The default
layout runs under asyncio and trio; the per-collection layout and a store
with a size limit run under asyncio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_disk.conformance import HOOKS
from kv_disk.store import DiskStore


class TestDiskStore(StoreConformance):
    """Every behaviour of a kv store, one cache directory per test."""

    query = ""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(
        self, tmp_path: Path, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(
            f"disk://{tmp_path}/cache{self.query}", default_collection=default_collection
        )
        assert isinstance(store, DiskStore)
        yield store
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A cache in a sibling directory (same parent, name starting the same), same layout."""
        assert isinstance(store, DiskStore)
        return DiskStore(
            f"{store.options.directory}-sibling",
            layout=store.options.layout,
            max_size=store.options.max_size,
            timeout=store.options.timeout,
        )


class TestDiskStorePerCollection(TestDiskStore):
    """The one-folder-per-collection layout (py-key-value's MultiDiskStore)."""

    query = "?layout=per-collection"

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"


class TestDiskStoreWithSizeLimit(TestDiskStore):
    """A bounded store: 150 kB holds every single test's data but not 1 000 entries."""

    query = "?max_size=150000"

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    assert hooks_for_scheme("disk") is HOOKS
    assert schemes_of_store_type(DiskStore) == ("disk",)
