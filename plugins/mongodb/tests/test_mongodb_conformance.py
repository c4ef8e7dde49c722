"""The kv conformance suite against MongoDB: the mongoeco emulator here, a real
server in the GitHub workflow (``KV_MONGODB_URL``).

The store is opened by URL, through the entry point, as a user would. Each
test gets a database of its own. pymongo's AsyncMongoClient is asyncio-only,
so the suite runs under asyncio (the capabilities say ``asyncio_only``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_mongodb.conformance import HOOKS
from kv_mongodb.store import MongoDBStore

pytestmark = pytest.mark.kv_server


class TestMongoDBStore(StoreConformance):
    """Every behaviour of a kv store, on an empty database per test."""

    # mongoeco is a Python emulator that scans for an $in filter: 2,500 keys take
    # it seconds a call. These still page keys() three times (1,000 a page) and
    # send one large bulk_write; the workflow's real servers run the same sizes.
    enumeration_size = 2_050
    large_batch_size = 1_000

    @pytest.fixture
    async def store(
        self, mongodb_urls: Any, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(mongodb_urls(), default_collection=default_collection)
        assert isinstance(store, MongoDBStore)
        yield store
        await store.destroy()
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another database on the same server."""
        assert isinstance(store, MongoDBStore)
        return MongoDBStore(replace(store.options, database=f"{store.database}-sibling"))


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class."""
    assert hooks_for_scheme("mongodb") is HOOKS
    assert set(schemes_of_store_type(MongoDBStore)) == {"mongodb", "mongodb+srv"}
