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
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_duckdb.conformance import HOOKS
from kv_duckdb.store import DuckDBStore


class TestDuckDBStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh database file per test."""

    shared_between_processes = False  # DuckDB lets one process open a file at a time

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(
        self, tmp_path: Path, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"duckdb://{tmp_path}/kv.duckdb", default_collection=default_collection)
        assert isinstance(store, DuckDBStore)
        yield store
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another table in the same database file, open in this process at the same time."""
        assert isinstance(store, DuckDBStore)
        return DuckDBStore(store.options.path, table=f"{store.options.table}_sibling")


class TestDuckDBMemoryStore(StoreConformance):
    """The suite again on a private in-memory database (asyncio only)."""

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect("duckdb://:memory:", default_collection=default_collection)
        assert isinstance(store, DuckDBStore)
        assert not store.capabilities.persistent
        yield store
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another ``duckdb://:memory:`` store, on the same (default) table name.

        No other store object can open a store's private in-memory database,
        so the sibling is the nearest there is: a second ``:memory:`` store in
        the same process. With the same table name, the tests prove that two
        ``:memory:`` stores never share one database.
        """
        assert isinstance(store, DuckDBStore)
        return DuckDBStore(store.options.path, table=store.options.table)


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    assert hooks_for_scheme("duckdb") is HOOKS
    assert schemes_of_store_type(DuckDBStore) == ("duckdb",)
