"""PassthroughCacheWrapper: the suite, hits and misses, ``{}`` cached, TTL bounds, batching."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio
import pytest

import kv
from kv_conformance import StoreConformance
from kv_wrappers import BaseWrapper, PassthroughCacheWrapper

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Counting(BaseWrapper):
    """Counts the read calls that reach a store."""

    def __init__(self, key_value: kv.AsyncKeyValue) -> None:
        self.reads: list[tuple[str, tuple[str, ...]]] = []
        super().__init__(key_value)

    async def get(self, key: str, *, collection: str | None = None) -> Any:
        self.reads.append(("get", (key,)))
        return await super().get(key, collection=collection)

    async def ttl(self, key: str, *, collection: str | None = None) -> Any:
        self.reads.append(("ttl", (key,)))
        return await super().ttl(key, collection=collection)

    async def get_many(self, keys: Sequence[str], *, collection: str | None = None) -> Any:
        self.reads.append(("get_many", tuple(keys)))
        return await super().get_many(keys, collection=collection)

    async def ttl_many(self, keys: Sequence[str], *, collection: str | None = None) -> Any:
        self.reads.append(("ttl_many", tuple(keys)))
        return await super().ttl_many(keys, collection=collection)


class TestPassthroughCache(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = PassthroughCacheWrapper(kv.connect("memory://"), kv.connect("memory://"))
        yield wrapper
        await wrapper.close()


class TestPassthroughCacheWriteThrough(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = PassthroughCacheWrapper(
            kv.connect("memory://"), kv.connect("memory://"), write_through=True
        )
        yield wrapper
        await wrapper.close()


class TestPassthroughCacheWithShortCacheTTL(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = PassthroughCacheWrapper(
            kv.connect("memory://"), kv.connect("memory://"), maximum_ttl=0.05
        )
        yield wrapper
        await wrapper.close()


def _stores(**options: Any) -> tuple[Counting, kv.AsyncKeyValue, PassthroughCacheWrapper]:
    primary = Counting(kv.connect("memory://"))
    cache = kv.connect("memory://")
    return primary, cache, PassthroughCacheWrapper(primary, cache, **options)


async def test_hit_after_miss() -> None:
    primary, cache, store = _stores()
    await primary.put("k", {"v": 1}, collection="c")
    assert await store.get("k", collection="c") == {"v": 1}
    assert await store.get("k", collection="c") == {"v": 1}
    assert await store.ttl("k", collection="c") == ({"v": 1}, None)
    assert primary.reads == [("ttl", ("k",))], "only the first read reaches the primary"
    cached = await cache.get("k", collection="c")
    assert cached == {"__kv_cache__": 1, "value": {"v": 1}, "expires_at": None}


async def test_empty_object_is_cached_as_a_value() -> None:
    primary, _, store = _stores()
    await primary.put("empty", {})
    assert await store.get("empty") == {}
    assert await store.get("empty") == {}
    assert await store.get_many(["empty"]) == [{}]
    assert primary.reads == [("ttl", ("empty",))]


async def test_misses_are_not_cached() -> None:
    primary, cache, store = _stores()
    assert await store.get("k") is None
    assert await cache.get("k") is None
    await primary.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}


async def test_cache_ttl_is_bounded_by_the_primary_and_the_maximum() -> None:
    primary, cache, store = _stores(maximum_ttl=100, missing_ttl=30)
    await primary.put("short", {"v": 1}, ttl=10)
    await primary.put("long", {"v": 2}, ttl=1000)
    await primary.put("forever", {"v": 3})
    await store.get_many(["short", "long", "forever"])
    results = await cache.ttl_many(["short", "long", "forever"])
    remaining = [left for _, left in results]
    assert remaining[0] is not None
    assert 8 < remaining[0] <= 10
    assert remaining[1] is not None
    assert 8 < remaining[1] <= 10, "one cache write for the expiring batch: shortest TTL"
    assert remaining[2] is not None
    assert 28 < remaining[2] <= 30
    # The primary's remaining TTL is what ttl() reports, not the cache's.
    _, long_left = await store.ttl("long")
    assert long_left is not None
    assert 990 < long_left <= 1000
    assert await store.ttl("forever") == ({"v": 3}, None)


async def test_cached_entry_expires_with_the_primary_entry() -> None:
    primary, _, store = _stores()
    await primary.put("k", {"v": 1}, ttl=0.3)
    assert await store.get("k") == {"v": 1}
    await anyio.sleep(0.5)
    assert await store.get("k") is None


async def test_writes_invalidate() -> None:
    primary, cache, store = _stores()
    await primary.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    await store.put("k", {"v": 2})
    assert await cache.get("k") is None
    assert await store.get("k") == {"v": 2}
    await store.put_many(["k"], [{"v": 3}])
    assert await store.get("k") == {"v": 3}
    assert await store.delete("k") is True
    assert await cache.get("k") is None
    assert await store.get("k") is None


async def test_write_through_fills_the_cache() -> None:
    primary, cache, store = _stores(write_through=True, maximum_ttl=50)
    await store.put("k", {"v": 1}, ttl=20)
    cached, left = await cache.ttl("k")
    assert cached is not None
    assert cached["value"] == {"v": 1}
    assert left is not None
    assert 18 < left <= 20
    assert await store.get("k") == {"v": 1}
    assert primary.reads == []


async def test_get_many_reads_the_misses_in_one_call() -> None:
    primary, _, store = _stores()
    await primary.put_many(["a", "b", "c"], [{"v": 1}, {"v": 2}, {"v": 3}])
    assert await store.get("a") == {"v": 1}
    primary.reads.clear()
    got = await store.get_many(["a", "b", "missing", "c", "b"])
    assert got == [{"v": 1}, {"v": 2}, None, {"v": 3}, {"v": 2}]
    assert got[1] is not got[4]
    assert primary.reads == [("ttl_many", ("b", "missing", "c"))]
    primary.reads.clear()
    assert await store.ttl_many(["a", "b", "c"]) == [({"v": 1}, None)] * 1 + [
        ({"v": 2}, None),
        ({"v": 3}, None),
    ]
    assert primary.reads == []


async def test_foreign_data_in_the_cache_is_a_miss() -> None:
    primary, cache, store = _stores()
    await primary.put("k", {"v": 1})
    await cache.put("k", {"not": "an envelope"})
    assert await store.get("k") == {"v": 1}
    assert (await cache.get("k") or {}).get("__kv_cache__") == 1


async def test_a_read_overlapping_a_write_does_not_cache_the_old_value() -> None:
    class SlowPrimary(BaseWrapper):
        async def ttl(self, key: str, *, collection: str | None = None) -> Any:
            result = await super().ttl(key, collection=collection)
            await anyio.sleep(0.2)  # the write below lands meanwhile
            return result

    primary = SlowPrimary(kv.connect("memory://"))
    cache = kv.connect("memory://")
    store = PassthroughCacheWrapper(primary, cache)
    await primary.put("k", {"v": "old"})
    async with anyio.create_task_group() as group:
        group.start_soon(store.get, "k")
        await anyio.sleep(0.05)
        await store.put("k", {"v": "new"})
    assert await cache.get("k") is None
    assert await store.get("k") == {"v": "new"}


async def test_capabilities() -> None:
    store = PassthroughCacheWrapper(kv.connect("memory://"), kv.connect("null://"))
    assert isinstance(store, kv.EnumerateKeys)
    assert not isinstance(store, kv.DestroyStore), "the cache cannot be emptied"
    both = PassthroughCacheWrapper(kv.connect("memory://"), kv.connect("memory://"))
    await both.put("k", {"v": 1})
    assert await both.get("k") == {"v": 1}
    assert await both.destroy() is True  # type: ignore[attr-defined]
    assert await both.cache_key_value.get("k") is None


def test_options_are_checked() -> None:
    with pytest.raises(kv.InvalidOptionError):
        PassthroughCacheWrapper(kv.connect("memory://"), kv.connect("memory://"), maximum_ttl=0)
    store = PassthroughCacheWrapper(
        kv.connect("memory://"), kv.connect("memory://"), maximum_ttl=10, missing_ttl=100
    )
    assert store.missing_ttl == 10
    assert time.time() > 0
