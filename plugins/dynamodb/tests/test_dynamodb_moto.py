"""kv-dynamodb on the second target, moto's server: the store's DynamoDB calls
(batches over the limits, expressions, conditions, pages, table creation)
as moto implements them. A focused module, not the whole suite (which runs
on DynamoDB Local), to keep the folder's time down.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import kv
from kv.atomic import update
from kv_conformance.servers import ServerProcess
from kv_dynamodb.store import DynamoDBStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def store(moto: ServerProcess, ddb: Any) -> AsyncIterator[DynamoDBStore]:
    store = kv.connect(ddb.url(moto))
    assert isinstance(store, DynamoDBStore)
    yield store
    client = await store._clients.get()
    await client.delete_table(TableName=store.table)
    await store.close()


async def test_entries_ttl_and_listing(store: DynamoDBStore) -> None:
    await store.put("a", {"v": 1}, collection="c")
    await store.put("b", {"v": 2}, collection="c", ttl=600)
    await store.put("z", {"v": 3}, collection="other", ttl=0.05)
    assert await store.get("a", collection="c") == {"v": 1}
    value, remaining = await store.ttl("b", collection="c")
    assert value == {"v": 2}
    assert remaining is not None
    assert 590 < remaining <= 600
    await asyncio.sleep(0.1)
    assert await store.get("z", collection="other") is None  # expired: hidden
    assert await store.keys("c") == ["a", "b"]
    assert await store.collections() == ["c"]
    assert await store.delete("a", collection="c") is True
    assert await store.delete("a", collection="c") is False
    assert await store.cull() == 1
    assert await store.destroy_collection("c") is True
    assert await store.keys("c") == []


async def test_batches_larger_than_the_limits(store: DynamoDBStore) -> None:
    keys = [f"k{i:03d}" for i in range(130)]
    values = [{"i": i} for i in range(130)]
    await store.put_many(keys, values, collection="big")
    assert await store.get_many(keys, collection="big") == values
    assert await store.keys("big", limit=7) == keys[:7]
    assert await store.delete_many(keys, collection="big") == 130
    assert await store.destroy() is False


async def test_long_and_odd_names(store: DynamoDBStore) -> None:
    names = ["k" * 1500, "a\x00b", "\x01x", "日本語", " padded "]
    for name in names:
        await store.put(name, {"n": name}, collection="c" * 2100)
    assert sorted(await store.keys("c" * 2100)) == sorted(names)
    assert await store.get_many(names, collection="c" * 2100) == [{"n": name} for name in names]
    assert await store.collections() == ["c" * 2100]


async def test_atomic_operations(store: DynamoDBStore) -> None:
    claims = await asyncio.gather(
        *(store.put_if_absent("claim", {"by": i}, collection="c") for i in range(20))
    )
    assert claims.count(True) == 1
    found = await store.get_versioned("claim", collection="c")
    assert found is not None
    assert await store.put_if_version("claim", {"by": -1}, found.version, collection="c")
    assert not await store.delete_if_version("claim", found.version, collection="c")

    def increment(old: dict[str, Any] | None) -> dict[str, Any]:
        return {"n": (old or {"n": 0})["n"] + 1}

    await asyncio.gather(*(update(store, "counter", increment, collection="c") for _ in range(20)))
    assert await store.get("counter", collection="c") == {"n": 20}
