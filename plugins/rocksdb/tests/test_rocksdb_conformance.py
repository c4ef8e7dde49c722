"""The kv conformance suite against ``rocksdb://``, under asyncio and trio.

The store is opened by URL, through the ``kv.stores`` entry point, on a fresh
database directory per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rocksdict import Rdict

import kv
from kv.names import compound_key
from kv_conformance import StoreConformance
from kv_rocksdb.store import RocksDBStore


class TestRocksDBStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh database directory per test."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"rocksdb://{tmp_path}/db")
        assert isinstance(store, RocksDBStore)
        yield store
        await store.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry with bytes that are not JSON, with plain rocksdict."""
        assert isinstance(store, RocksDBStore)
        await store.close()  # RocksDB lets one opener at a time
        raw = Rdict(store.path)
        try:
            ckey = compound_key(collection, key)
            if ckey not in raw:
                return False
            raw[ckey] = b'{"not": "closed'
            return True
        finally:
            raw.close()

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same directory."""
        assert isinstance(store, RocksDBStore)
        return kv.connect(f"rocksdb://{store.path}")
