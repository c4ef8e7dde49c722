"""The kv conformance suite against ``duckdb://``, under asyncio and trio.

The store is opened by URL, through the ``kv.stores`` entry point, on a fresh
database file per test (and once more on ``duckdb://:memory:``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import kv
from kv_conformance import StoreConformance
from kv_duckdb.store import DuckDBStore


class TestDuckDBStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh database file per test."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"duckdb://{tmp_path}/kv.duckdb")
        assert isinstance(store, DuckDBStore)
        yield store
        await store.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the row's value with JSON that is not an object, over the store's file."""
        assert isinstance(store, DuckDBStore)
        await store.close()  # one process-wide DuckDB instance per file; reopen after
        import duckdb

        raw = duckdb.connect(store.path)
        try:
            rows = raw.execute(
                f'UPDATE "{store.table}" SET value = ? WHERE collection = ? AND key = ?'
                " RETURNING key",
                ['"not an object"', collection, key],
            ).fetchall()
            return len(rows) == 1
        finally:
            raw.close()

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same database file."""
        assert isinstance(store, DuckDBStore)
        return kv.connect(f"duckdb://{store.path}")


class TestDuckDBMemoryStore(StoreConformance):
    """The suite again on a private in-memory database (asyncio only)."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect("duckdb://:memory:")
        assert isinstance(store, DuckDBStore)
        assert not store.capabilities.persistent
        yield store
        await store.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the row's value through the store's own (private) connection."""
        assert isinstance(store, DuckDBStore)
        connection = store._connection
        assert connection is not None
        rows = connection.execute(
            f'UPDATE "{store.table}" SET value = ? WHERE collection = ? AND key = ? RETURNING key',
            ['"not an object"', collection, key],
        ).fetchall()
        return len(rows) == 1
