"""The kv conformance suite against ``sqlite://``, under asyncio and trio.

The store is opened by URL, through the ``kv.stores`` entry point of the
installed kv-sqlite distribution, exactly as a user would open it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_sqlite.conformance import HOOKS
from kv_sqlite.store import SQLiteStore


class TestSQLiteStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh database file per test."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(
        self, tmp_path: Path, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"sqlite://{tmp_path}/kv.db", default_collection=default_collection)
        assert isinstance(store, SQLiteStore)
        yield store
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another table in the same database file, open at the same time."""
        assert isinstance(store, SQLiteStore)
        return SQLiteStore(store.options.path, table=f"{store.options.table}_sibling")


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    assert hooks_for_scheme("sqlite") is HOOKS
    assert schemes_of_store_type(SQLiteStore) == ("sqlite",)
