"""The kv conformance suite against Amazon's DynamoDB Local (in memory).

The store is opened by URL, through the entry point, as a user would. Each
test gets its own table, deleted afterwards. aioboto3 is asyncio-only, so
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


async def drop_table(store: DynamoDBStore) -> None:
    """Delete the store's table (tables are per test), then close the store."""
    client = await store._clients.get()
    try:
        await client.delete_table(TableName=store.table)
    except Exception as error:  # never created
        if "ResourceNotFound" not in type(error).__name__ + str(error):
            raise
    await store.close()


class TestDynamoDBStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh table per test."""

    @pytest.fixture
    async def store(
        self, dynamodb_server: ServerProcess, ddb: Any, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(ddb.url(dynamodb_server), default_collection=default_collection)
        assert isinstance(store, DynamoDBStore)
        yield store
        await drop_table(store)

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
