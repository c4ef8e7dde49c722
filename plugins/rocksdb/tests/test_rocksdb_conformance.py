"""The kv conformance suite against ``rocksdb://``, under asyncio and trio.

The store is opened by URL, through the ``kv.stores`` entry point, on a fresh
database directory per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_rocksdb.conformance import HOOKS
from kv_rocksdb.store import RocksDBStore


class TestRocksDBStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh database directory per test."""

    shared_between_processes = False  # RocksDB lets one process open a database at a time

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(
        self, tmp_path: Path, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"rocksdb://{tmp_path}/db", default_collection=default_collection)
        assert isinstance(store, RocksDBStore)
        yield store
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A database in a sibling directory (same parent, name starting the same)."""
        assert isinstance(store, RocksDBStore)
        return RocksDBStore(f"{store.options.path}-sibling", sync=store.options.sync)


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    assert hooks_for_scheme("rocksdb") is HOOKS
    assert schemes_of_store_type(RocksDBStore) == ("rocksdb",)
