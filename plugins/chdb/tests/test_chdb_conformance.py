"""The kv conformance suite against ``chdb://``, under asyncio and trio.

The store is opened by URL, through the ``kv.stores`` entry point, on a fresh
directory per test. chDB runs one embedded ClickHouse per process on one
path, so each test closes its store (and any raw session) before the next.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import kv
from kv_chdb.conformance import HOOKS
from kv_chdb.store import ChDBStore
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type


class TestChDBStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh directory per test."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(
        self, tmp_path: Path, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"chdb://{tmp_path}/db", default_collection=default_collection)
        assert isinstance(store, ChDBStore)
        yield store
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another table on the same path, open in this process at the same time."""
        assert isinstance(store, ChDBStore)
        return ChDBStore(store.path, table=f"{store.table}_sibling")


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    assert hooks_for_scheme("chdb") is HOOKS
    assert schemes_of_store_type(ChDBStore) == ("chdb",)
