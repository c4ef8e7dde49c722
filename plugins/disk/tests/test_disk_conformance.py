"""The kv conformance suite against ``disk://``, in each layout.

The store is opened by URL, through the ``kv.stores`` entry point of the
installed kv-disk distribution, exactly as a user would open it. The default
layout runs under asyncio and trio; the per-collection layout and a store
with a size limit run under asyncio.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import kv
from kv.names import compound_key, encode_path_segment
from kv_conformance import StoreConformance
from kv_disk.store import DiskStore


def _corrupt(database: Path, db_key: str) -> bool:
    raw = sqlite3.connect(database)
    try:
        with raw:
            cursor = raw.execute(
                "UPDATE Cache SET value = ? WHERE key = ? AND raw = 1",
                ('{"not": "closed', db_key),
            )
        return cursor.rowcount == 1
    finally:
        raw.close()


class TestDiskStore(StoreConformance):
    """Every behaviour of a kv store, one cache directory per test."""

    query = ""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"disk://{tmp_path}/cache{self.query}")
        assert isinstance(store, DiskStore)
        yield store
        await store.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the row's document with text that is not JSON, over a raw connection."""
        assert isinstance(store, DiskStore)
        if store.layout == "single":
            return _corrupt(Path(store.directory) / "cache.db", compound_key(collection, key))
        folder = Path(store.directory) / encode_path_segment(collection)
        return _corrupt(folder / "cache.db", key)

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same directory."""
        assert isinstance(store, DiskStore)
        return kv.connect(f"disk://{store.directory}{self.query}")


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
