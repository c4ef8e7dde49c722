"""The kv conformance suite against ``file://``, under asyncio and trio.

Under asyncio the store writes durably (``fsync``, the default); under trio
it runs with ``fsync=false``, so both write paths pass the whole suite.

The store is opened by URL, through the ``kv.stores`` entry point of the
installed kv-filetree distribution, exactly as a user would open it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_filetree.conformance import HOOKS
from kv_filetree.store import FileTreeStore


class TestFileTreeStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh folder per test."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(
        self, tmp_path: Path, anyio_backend: str, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        # Durable writes (the default) under asyncio; without fsync under trio.
        query = "" if anyio_backend == "asyncio" else "?fsync=false"
        store = kv.connect(f"file://{tmp_path}/tree{query}", default_collection=default_collection)
        assert isinstance(store, FileTreeStore)
        yield store
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A tree in a sibling folder (same parent, name starting the same)."""
        assert isinstance(store, FileTreeStore)
        return FileTreeStore(f"{store.options.directory}-sibling", fsync=store.options.fsync)


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    assert hooks_for_scheme("file") is HOOKS
    assert schemes_of_store_type(FileTreeStore) == ("file",)
