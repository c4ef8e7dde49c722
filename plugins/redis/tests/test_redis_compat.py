"""py-key-value compatibility: kv-redis reads what py-key-value's RedisStore wrote.

Both use one string key ``collection::key`` per entry holding the same JSON
document, so data moves both ways: values and TTLs written by
``key_value.aio.stores.redis.RedisStore`` (py-key-value-aio) are read by
kv-redis, and the other way round.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from key_value.aio.stores.redis import RedisStore as PyKVRedisStore

import kv
from kv_conformance.servers import ServerProcess
from kv_redis.store import RedisStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]

VALUES: dict[str, dict[str, Any]] = {
    "alice": {"name": "Alice", "age": 30, "tags": ["a", "b"], "nested": {"ok": True}},
    "unicode-鍵": {"text": "héllo wörld ✓", "n": None, "f": 1.5},
    "with::colons": {"v": 1},
}


@pytest.fixture
def anyio_backend() -> str:
    """redis-py's asyncio client runs under asyncio only."""
    return "asyncio"


@pytest.fixture
async def stores(redis_server: ServerProcess) -> AsyncIterator[tuple[Any, RedisStore]]:
    """py-key-value's RedisStore and kv-redis on database 3 of the same server."""
    url = f"redis://127.0.0.1:{redis_server.port}/3"
    theirs = PyKVRedisStore(url=url)
    ours = kv.connect(url)
    assert isinstance(ours, RedisStore)
    await ours.destroy()
    yield theirs, ours
    await ours.destroy()
    await ours.close()
    await theirs.close()


async def test_kv_reads_values_and_ttls_py_key_value_wrote(
    stores: tuple[Any, RedisStore],
) -> None:
    theirs, ours = stores
    for key, value in VALUES.items():
        await theirs.put(key, value, collection="users")
    await theirs.put("expiring", {"v": 1}, collection="users", ttl=300)
    await theirs.put_many(["b1", "b2"], [{"b": 1}, {"b": 2}], collection="batch", ttl=600)
    await theirs.put_many(["p1", "p2"], [{"p": 1}, {"p": 2}], collection="batch")

    for key, value in VALUES.items():
        assert await ours.get(key, collection="users") == value
        assert await ours.ttl(key, collection="users") == (value, None)
    value, remaining = await ours.ttl("expiring", collection="users")
    assert value == {"v": 1}
    assert remaining is not None
    assert 290 < remaining <= 300
    results = await ours.ttl_many(["b1", "b2", "p1", "p2", "missing"], collection="batch")
    assert [value for value, _ in results] == [{"b": 1}, {"b": 2}, {"p": 1}, {"p": 2}, None]
    for _, remaining in results[:2]:
        assert remaining is not None
        assert 590 < remaining <= 600
    assert [remaining for _, remaining in results[2:]] == [None, None, None]
    assert sorted(await ours.keys("users")) == sorted([*VALUES, "expiring"])
    assert sorted(await ours.collections()) == ["batch", "users"]


async def test_py_key_value_reads_what_kv_wrote(stores: tuple[Any, RedisStore]) -> None:
    theirs, ours = stores
    for key, value in VALUES.items():
        await ours.put(key, value, collection="users")
    await ours.put_many(["t1", "t2"], [{"t": 1}, {"t": 2}], collection="users", ttl=120)

    for key, value in VALUES.items():
        assert await theirs.get(key, collection="users") == value
    value, remaining = await theirs.ttl("t2", collection="users")
    assert value == {"t": 2}
    assert remaining is not None
    assert 110 < remaining <= 120
    assert await theirs.delete("t1", collection="users") is True
    assert await ours.get("t1", collection="users") is None
