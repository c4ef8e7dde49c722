"""Data written by py-key-value-aio's MemcachedStore is read by kv-memcached, and back.

Both run against the same real memcached server. py-key-value's default
layout is ``collection::key`` with its JSON document; kv keeps that layout for
every key memcached can hold (py-key-value cannot store the others without a
sanitization strategy).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from key_value.aio.stores.memcached import MemcachedStore as PyKVMemcachedStore

import kv
from kv_conformance.servers import ServerProcess
from kv_memcached.store import MemcachedStore

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
async def stores(
    memcached_server: ServerProcess, mc: Any
) -> AsyncIterator[tuple[PyKVMemcachedStore, MemcachedStore]]:
    theirs = PyKVMemcachedStore(host=memcached_server.host, port=memcached_server.port)
    ours = kv.connect(mc.url_of(memcached_server))
    assert isinstance(ours, MemcachedStore)
    async with theirs:
        yield theirs, ours
    await ours.close()
    mc.flush(memcached_server)


async def test_kv_reads_what_py_key_value_wrote(
    stores: tuple[PyKVMemcachedStore, MemcachedStore],
) -> None:
    theirs, ours = stores
    for key, value in VALUES.items():
        await theirs.put(key, value, collection="users")
    await theirs.put("expiring", {"v": 1}, collection="users", ttl=3600)
    await theirs.put("default", {"in": "default"})
    await theirs.put_many(["m1", "m2"], [{"i": 1}, {"i": 2}], collection="bulk", ttl=600)
    await theirs.put("unicode-名前", {"v": "名前"}, collection="コレクション")

    for key, value in VALUES.items():
        assert await ours.get(key, collection="users") == value
    value, remaining = await ours.ttl("expiring", collection="users")
    assert value == {"v": 1}
    assert remaining is not None
    assert 3590 < remaining <= 3600
    assert await ours.get("default") == {"in": "default"}
    assert await ours.get_many(["m1", "m2", "m3"], collection="bulk") == [{"i": 1}, {"i": 2}, None]
    assert await ours.get("unicode-名前", collection="コレクション") == {"v": "名前"}
    assert await ours.delete("alice", collection="users") is True
    assert await theirs.get("alice", collection="users") is None


async def test_py_key_value_reads_what_kv_wrote(
    stores: tuple[PyKVMemcachedStore, MemcachedStore],
) -> None:
    theirs, ours = stores
    for key, value in VALUES.items():
        await ours.put(key, value, collection="users")
    await ours.put("expiring", {"v": 1}, collection="users", ttl=3600)
    for key, value in VALUES.items():
        assert await theirs.get(key, collection="users") == value
    value, remaining = await theirs.ttl("expiring", collection="users")
    assert value == {"v": 1}
    assert remaining is not None
    assert 3590 < remaining <= 3600


async def test_py_key_value_long_ttl_is_read_with_its_ttl(
    stores: tuple[PyKVMemcachedStore, MemcachedStore],
) -> None:
    theirs, ours = stores
    await theirs.put("long", {"v": 1}, collection="ttl", ttl=40 * 24 * 3600)
    value, remaining = await ours.ttl("long", collection="ttl")
    assert value == {"v": 1}
    assert remaining is not None
    assert remaining > 39 * 24 * 3600
