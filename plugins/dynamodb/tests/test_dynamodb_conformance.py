"""The kv conformance suite against Amazon's DynamoDB Local (in memory).

The store is opened by URL, through the entry point, as a user would. Each
test gets an empty table of its own (from the session's pool of tables:
emptied after each test and used again, as creating one takes DynamoDB Local
half a second). aioboto3 is asyncio-only, so
the suite runs under asyncio (the capabilities say ``asyncio_only``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_conformance.servers import ServerProcess
from kv_dynamodb.conformance import HOOKS
from kv_dynamodb.store import DynamoDBStore


class TestDynamoDBStore(StoreConformance):
    """Every behaviour of a kv store, on an empty table per test."""

    # Enough for three pages of keys() (1,000 a Query): DynamoDB Local writes 10,050
    # items in seconds, twice per run (both default collections).
    enumeration_size = 2_050
    # DynamoDB Local answers a conditional write in milliseconds, one at a time per
    # item: 10 tasks racing on one counter still conflict on nearly every attempt.
    atomic_updaters = 10

    @pytest.fixture
    async def store(
        self,
        dynamodb_server: ServerProcess,
        ddb: Any,
        table_pool: Any,
        default_collection: str | None,
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        table = table_pool.take()
        store = kv.connect(ddb.url(dynamodb_server, table), default_collection=default_collection)
        assert isinstance(store, DynamoDBStore)
        yield store
        await table_pool.give_back(store)

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another table on the same emulator."""
        assert isinstance(store, DynamoDBStore)
        return DynamoDBStore(replace(store.options, table=f"{store.options.table}-sibling"))

    async def store_secrets(self, store: kv.AsyncKeyValue) -> list[str]:
        """The dummy secret key the test store was given."""
        return ["kvtestsecret-not-shown"]


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class."""
    assert hooks_for_scheme("dynamodb") is HOOKS
    assert schemes_of_store_type(DynamoDBStore) == ("dynamodb",)
