"""PassthroughCacheWrapper: the suite, hits and misses, ``{}`` cached, TTL bounds, batching."""

from __future__ import annotations

import random
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
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = PassthroughCacheWrapper(
            kv.connect("memory://", default_collection=default_collection),
            kv.connect("memory://", default_collection=default_collection),
        )
        yield wrapper
        await wrapper.close()


class TestPassthroughCacheWriteThrough(StoreConformance):
    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = PassthroughCacheWrapper(
            kv.connect("memory://", default_collection=default_collection),
            kv.connect("memory://", default_collection=default_collection),
            write_through=True,
        )
        yield wrapper
        await wrapper.close()


class TestPassthroughCacheWithShortCacheTTL(StoreConformance):
    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = PassthroughCacheWrapper(
            kv.connect("memory://", default_collection=default_collection),
            kv.connect("memory://", default_collection=default_collection),
            maximum_ttl=0.05,
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


# --- racing writes and reads: the cache never ends up older than the primary ---

RACE_KEYS = ["a", "b", "c"]


class Jitter(BaseWrapper):
    """Lets other tasks run a random number of times before and after each call.

    Only checkpoints (``sleep(0)``), drawn from a seeded generator: the
    interleavings differ from call to call but each trial replays exactly.
    """

    def __init__(self, key_value: kv.AsyncKeyValue, rng: random.Random) -> None:
        self.rng = rng
        super().__init__(key_value)

    async def _yield(self) -> None:
        for _ in range(self.rng.randrange(4)):
            await anyio.sleep(0)

    async def get(self, key: str, *, collection: str | None = None) -> Any:
        await self._yield()
        try:
            return await super().get(key, collection=collection)
        finally:
            await self._yield()

    async def ttl(self, key: str, *, collection: str | None = None) -> Any:
        await self._yield()
        try:
            return await super().ttl(key, collection=collection)
        finally:
            await self._yield()

    async def get_many(self, keys: Sequence[str], *, collection: str | None = None) -> Any:
        await self._yield()
        try:
            return await super().get_many(keys, collection=collection)
        finally:
            await self._yield()

    async def ttl_many(self, keys: Sequence[str], *, collection: str | None = None) -> Any:
        await self._yield()
        try:
            return await super().ttl_many(keys, collection=collection)
        finally:
            await self._yield()

    async def put(
        self, key: str, value: Any, *, collection: str | None = None, ttl: Any = None
    ) -> None:
        await self._yield()
        try:
            await super().put(key, value, collection=collection, ttl=ttl)
        finally:
            await self._yield()

    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Any],
        *,
        collection: str | None = None,
        ttl: Any = None,
    ) -> None:
        await self._yield()
        try:
            await super().put_many(keys, values, collection=collection, ttl=ttl)
        finally:
            await self._yield()

    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        await self._yield()
        try:
            return await super().delete(key, collection=collection)
        finally:
            await self._yield()

    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        await self._yield()
        try:
            return await super().delete_many(keys, collection=collection)
        finally:
            await self._yield()


async def _race(store: PassthroughCacheWrapper, rng: random.Random) -> None:
    """Several tasks writing, deleting and reading the same few keys at once."""

    async def worker(n: int) -> None:
        for step in range(8):
            choice = rng.random()
            key = rng.choice(RACE_KEYS)
            ttl = rng.choice([None, None, 1000])
            if choice < 0.25:
                await store.put(key, {"writer": n, "step": step}, ttl=ttl)
            elif choice < 0.35:
                await store.delete(key)
            elif choice < 0.45:
                keys = rng.sample(RACE_KEYS, 2)
                values = [{"writer": n, "step": step, "i": i} for i in range(2)]
                await store.put_many(keys, values, ttl=ttl)
            elif choice < 0.5:
                await store.delete_many(rng.sample(RACE_KEYS, 2))
            elif choice < 0.8:
                await store.get(key)
            else:
                await store.ttl_many(RACE_KEYS)

    async with anyio.create_task_group() as group:
        for n in range(6):
            group.start_soon(worker, n)


@pytest.mark.parametrize("write_through", [True, False], ids=["write-through", "invalidate"])
async def test_racing_writes_and_reads_never_leave_the_cache_stale(write_through: bool) -> None:
    stale: list[tuple[int, str, Any, Any]] = []
    for trial in range(150):
        rng = random.Random(trial)
        primary = Jitter(kv.connect("memory://"), rng)
        cache = Jitter(kv.connect("memory://"), rng)
        store = PassthroughCacheWrapper(primary, cache, write_through=write_through)
        await _race(store, rng)
        for key in RACE_KEYS:
            through = await store.get(key)
            direct = await primary.key_value.get(key)
            if through != direct:
                stale.append((trial, key, through, direct))
    assert stale == [], f"{len(stale)} stale reads, first: {stale[:3]}"


class GatedCache(BaseWrapper):
    """A cache whose next ``put_many`` waits until ``gate`` is set."""

    def __init__(self, key_value: kv.AsyncKeyValue) -> None:
        self.gate: anyio.Event | None = None
        self.waiting = anyio.Event()
        super().__init__(key_value)

    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Any],
        *,
        collection: str | None = None,
        ttl: Any = None,
    ) -> None:
        if self.gate is not None:
            gate, self.gate = self.gate, None
            self.waiting.set()
            await gate.wait()
        await super().put_many(keys, values, collection=collection, ttl=ttl)


@pytest.mark.parametrize("write_through", [True, False], ids=["write-through", "invalidate"])
async def test_a_fill_in_flight_never_lands_after_a_write(write_through: bool) -> None:
    primary = kv.connect("memory://")
    cache = GatedCache(kv.connect("memory://"))
    store = PassthroughCacheWrapper(primary, cache, write_through=write_through)
    await primary.put("k", {"v": "old"})
    gate = cache.gate = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(store.get, "k")
        await cache.waiting.wait()  # the read is putting "old" in the cache
        group.start_soon(store.put, "k", {"v": "new"})
        await anyio.wait_all_tasks_blocked()
        gate.set()
    assert await primary.get("k") == {"v": "new"}
    assert await store.get("k") == {"v": "new"}


async def test_none_and_the_primary_default_share_cache_entries() -> None:
    primary = kv.connect("memory://", default_collection="mine")
    cache = kv.connect("memory://")  # its own default is another name
    store = PassthroughCacheWrapper(primary, cache)
    await store.put("k", {"v": 1})
    assert await store.get("k", collection="mine") == {"v": 1}
    await store.put("k", {"v": 2}, collection="mine")
    assert await store.get("k") == {"v": 2}, "the write to 'mine' dropped the cached entry"
    assert (await cache.get("k", collection="mine") or {}).get("value") == {"v": 2}


async def test_a_write_cancelled_after_the_primary_drops_the_cached_value() -> None:
    primary = kv.connect("memory://")
    cache = GatedCache(kv.connect("memory://"))
    store = PassthroughCacheWrapper(primary, cache, write_through=True)
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}  # cached
    cache.gate = anyio.Event()  # the next write-through hangs...
    async with anyio.create_task_group() as group:
        group.start_soon(store.put, "k", {"v": 2})
        await cache.waiting.wait()  # ... after the primary took the new value
        group.cancel_scope.cancel()
    assert await primary.get("k") == {"v": 2}
    assert await cache.key_value.get("k") is None, "the old value was dropped from the cache"
    assert await store.get("k") == {"v": 2}
