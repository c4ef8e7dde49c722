"""py-key-value-aio's DynamoDBStore and kv-dynamodb share tables, both ways.

Same emulator (DynamoDB Local), same table: each library reads, expires and
deletes what the other wrote, whichever of them created the table, and kv's
atomic operations work on items py-key-value wrote (which carry no
``kv_version``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from key_value.aio.stores.dynamodb import DynamoDBStore as PyKVDynamoDBStore

import kv
from kv_conformance.servers import ServerProcess
from kv_dynamodb.store import DynamoDBStore

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning"),
]

VALUES: dict[str, dict[str, Any]] = {
    "alice": {"name": "Alice", "age": 30},
    "nested": {"a": {"b": [1, 2.5, None, True, "x"]}},
    "unicode": {"text": "Hello 世界 🌍"},
    "empty": {},
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def pair(
    dynamodb_server: ServerProcess, ddb: Any
) -> AsyncIterator[tuple[Any, DynamoDBStore]]:
    table = ddb.unique_table()
    theirs = PyKVDynamoDBStore(
        table_name=table,
        region_name="us-east-1",
        endpoint_url=ddb.endpoint(dynamodb_server),
        aws_access_key_id="kvtestkey",
        aws_secret_access_key="kvtestsecret-not-shown",
    )
    ours = kv.connect(ddb.url(dynamodb_server, table))
    assert isinstance(ours, DynamoDBStore)
    yield theirs, ours
    client = await ours._clients.get()
    await client.delete_table(TableName=table)
    await ours.close()
    await theirs.close()


async def test_kv_reads_what_py_key_value_wrote(pair: tuple[Any, DynamoDBStore]) -> None:
    theirs, ours = pair
    async with theirs:  # py-key-value creates the table
        for key, value in VALUES.items():
            await theirs.put(key, value, collection="users")
        await theirs.put("brief", {"v": 1}, collection="users", ttl=3600)
        await theirs.put_many(["m1", "m2"], [{"m": 1}, {"m": 2}], collection="other")
    for key, value in VALUES.items():
        assert await ours.get(key, collection="users") == value
    brief, remaining = await ours.ttl("brief", collection="users")
    assert brief == {"v": 1}
    assert remaining is not None
    assert 3590 < remaining <= 3600
    assert await ours.ttl("alice", collection="users") == (VALUES["alice"], None)
    assert await ours.get_many(["m1", "m2", "none"], collection="other") == [
        {"m": 1},
        {"m": 2},
        None,
    ]
    assert sorted(await ours.keys("users")) == sorted([*VALUES, "brief"])
    assert sorted(await ours.collections()) == ["other", "users"]
    assert await ours.delete("alice", collection="users") is True
    assert await ours.delete_many(["m1", "m2"], collection="other") == 2


async def test_py_key_value_reads_what_kv_wrote(pair: tuple[Any, DynamoDBStore]) -> None:
    theirs, ours = pair
    for key, value in VALUES.items():  # kv creates the table
        await ours.put(key, value, collection="users")
    await ours.put("brief", {"v": 1}, collection="users", ttl=3600)
    await ours.put_many(["m1", "m2"], [{"m": 1}, {"m": 2}], collection="other", ttl=60)
    async with theirs:
        for key, value in VALUES.items():
            assert await theirs.get(key, collection="users") == value
        brief, remaining = await theirs.ttl("brief", collection="users")
        assert brief == {"v": 1}
        assert remaining is not None
        assert 3590 < remaining <= 3601
        assert await theirs.get_many(["m1", "m2"], collection="other") == [{"m": 1}, {"m": 2}]
        assert await theirs.delete("alice", collection="users") is True
    assert await ours.get("alice", collection="users") is None


async def test_atomic_operations_on_items_py_key_value_wrote(
    pair: tuple[Any, DynamoDBStore],
) -> None:
    theirs, ours = pair
    async with theirs:
        await theirs.put("counter", {"n": 1}, collection="c")
        await theirs.put("gone", {"n": 1}, collection="c")
        first = await ours.get_versioned("counter", collection="c")
        assert first is not None
        assert first.value == {"n": 1}
        assert await ours.put_if_version("counter", {"n": 2}, first.version, collection="c")
        assert not await ours.put_if_version("counter", {"n": 3}, first.version, collection="c")
        assert await ours.put_if_absent("counter", {"n": 9}, collection="c") is False
        # py-key-value writes again: the version kv handed out is stale.
        second = await ours.get_versioned("counter", collection="c")
        assert second is not None
        await theirs.put("counter", {"n": 5}, collection="c")
        assert not await ours.put_if_version("counter", {"n": 6}, second.version, collection="c")
        third = await ours.get_versioned("counter", collection="c")
        assert third is not None
        assert third.value == {"n": 5}
        assert await ours.delete_if_version("counter", third.version, collection="c")
        old = await ours.get_versioned("gone", collection="c")
        assert old is not None
        await theirs.put("gone", {"n": 2}, collection="c")
        assert not await ours.delete_if_version("gone", old.version, collection="c")
        assert await theirs.get("gone", collection="c") == {"n": 2}
