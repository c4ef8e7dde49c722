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
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_conformance.servers import ServerProcess
from kv_postgresql.conformance import HOOKS
from kv_postgresql.store import PostgreSQLStore


class TestPostgreSQLStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh table per test."""

    @pytest.fixture
    async def store(
        self, postgres_server: ServerProcess, pg: Any, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        table = pg.unique_table()
        store = kv.connect(
            f"{pg.dsn(postgres_server)}?table={table}", default_collection=default_collection
        )
        assert isinstance(store, PostgreSQLStore)
        yield store
        await store.close()
        connection = await asyncpg.connect(pg.dsn(postgres_server))
        try:
            await connection.execute(f'DROP TABLE IF EXISTS "{table}"')
        finally:
            await connection.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another table (named like the store's one, plus a suffix) in the same database.

        The sibling connects with the store's own connection arguments (server,
        user, database), copied as reopening with ``store.options`` does, so
        no URL is rebuilt. Its table is emptied by the suite, not dropped: the
        test server is thrown away with its data directory.
        """
        assert isinstance(store, PostgreSQLStore)
        sibling = PostgreSQLStore(
            table=f"{store.options.table}_sibling", schema=store.options.schema
        )
        sibling._connect_args = dict(store._connect_args)
        return sibling


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    for scheme in ("postgresql", "postgres"):
        assert hooks_for_scheme(scheme) is HOOKS
    assert set(schemes_of_store_type(PostgreSQLStore)) == {"postgresql", "postgres"}
