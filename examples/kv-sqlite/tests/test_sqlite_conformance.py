"""The kv conformance suite against ``sqlite://``, under asyncio and trio.

The store is opened by URL, through the ``kv.stores`` entry point of the
installed kv-sqlite distribution, exactly as a user would open it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import kv
from kv_conformance import StoreConformance
from kv_sqlite.store import SQLiteStore


class TestSQLiteStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh database file per test."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"sqlite://{tmp_path}/kv.db")
        assert isinstance(store, SQLiteStore)
        yield store
        await store.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the row's value with text that is not JSON, over a raw connection."""
        assert isinstance(store, SQLiteStore)
        raw = sqlite3.connect(store.path)
        try:
            with raw:  # commits
                cursor = raw.execute(
                    f'UPDATE "{store.table}" SET value = ? WHERE collection = ? AND key = ?',
                    ('{"not": "closed', collection, key),
                )
            return cursor.rowcount == 1
        finally:
            raw.close()

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same database file."""
        assert isinstance(store, SQLiteStore)
        return kv.connect(f"sqlite://{store.path}")
