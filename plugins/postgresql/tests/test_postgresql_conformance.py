"""The kv conformance suite against a real PostgreSQL 15 server.

The store is opened by URL, through the entry point, as a user would. Each
test gets its own table, dropped afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.servers import ServerProcess
from kv_postgresql.store import PostgreSQLStore


class TestPostgreSQLStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh table per test."""

    @pytest.fixture
    async def store(
        self, postgres_server: ServerProcess, pg: Any
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        table = pg.unique_table()
        self.url = f"{pg.dsn(postgres_server)}?table={table}"
        store = kv.connect(self.url)
        assert isinstance(store, PostgreSQLStore)
        yield store
        await store.close()
        connection = await asyncpg.connect(pg.dsn(postgres_server))
        try:
            await connection.execute(f'DROP TABLE IF EXISTS "{table}"')
        finally:
            await connection.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Replace the row's value with JSON that is not an object, over a raw connection."""
        assert isinstance(store, PostgreSQLStore)
        connection = await asyncpg.connect(self.url.partition("?")[0])
        try:
            status = await connection.execute(
                f"UPDATE {store.qualified_table} SET value = '[1, 2]'"
                " WHERE collection = $1 AND key = $2",
                collection,
                key,
            )
        finally:
            await connection.close()
        return bool(status == "UPDATE 1")

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same table."""
        return kv.connect(self.url)
