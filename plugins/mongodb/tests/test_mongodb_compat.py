"""py-key-value-aio's MongoDBStore and kv-mongodb share databases, both ways.

Same server, same database: each library reads, expires and deletes what the
other wrote, whichever of them created the MongoDB collection, and kv's
atomic operations work on documents py-key-value wrote (which carry no
``kv_rev``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from key_value.aio.stores.mongodb import MongoDBStore as PyKVMongoDBStore

import kv
from kv_mongodb.store import MongoDBStore

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.kv_server,
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
async def pair(mongodb_url: str, mongodb_urls: Any) -> AsyncIterator[tuple[Any, MongoDBStore]]:
    database = f"kv-{uuid.uuid4().hex[:16]}"
    theirs = PyKVMongoDBStore(url=mongodb_url, db_name=database)
    ours = kv.connect(mongodb_urls(database))
    assert isinstance(ours, MongoDBStore)
    yield theirs, ours
    await ours.destroy()
    await ours.close()


async def test_kv_reads_what_py_key_value_wrote(pair: tuple[Any, MongoDBStore]) -> None:
    theirs, ours = pair
    async with theirs:  # py-key-value creates the collections
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
    # Atomic operations on documents without kv's revision.
    versioned = await ours.get_versioned("alice", collection="users")
    assert versioned is not None
    assert await ours.put_if_version("alice", {"v": 2}, versioned.version, collection="users")
    assert not await ours.put_if_version("alice", {"v": 3}, versioned.version, collection="users")
    assert not await ours.put_if_absent("nested", {"v": 4}, collection="users")
    assert await ours.delete("empty", collection="users") is True
    assert await ours.delete_many(["m1", "m2", "none"], collection="other") == 2


async def test_py_key_value_reads_what_kv_wrote(pair: tuple[Any, MongoDBStore]) -> None:
    theirs, ours = pair
    for key, value in VALUES.items():  # kv creates the collections
        await ours.put(key, value, collection="users")
    await ours.put("brief", {"v": 1}, collection="users", ttl=3600)
    await ours.put_many(["m1", "m2"], [{"m": 1}, {"m": 2}], collection="other")
    async with theirs:
        for key, value in VALUES.items():
            assert await theirs.get(key, collection="users") == value
        brief, remaining = await theirs.ttl("brief", collection="users")
        assert brief == {"v": 1}
        assert remaining is not None
        assert 3590 < remaining <= 3600
        assert await theirs.get_many(["m1", "m2", "x"], collection="other") == [
            {"m": 1},
            {"m": 2},
            None,
        ]
        # py-key-value writes over kv's documents; kv reads them and its old
        # versions no longer match.
        versioned = await ours.get_versioned("alice", collection="users")
        assert versioned is not None
        await theirs.put("alice", {"name": "Alicia"}, collection="users")
        assert await ours.get("alice", collection="users") == {"name": "Alicia"}
        assert not await ours.delete_if_version("alice", versioned.version, collection="users")
        assert await theirs.delete("m1", collection="other") is True
    assert await ours.get_many(["m1", "m2"], collection="other") == [None, {"m": 2}]
