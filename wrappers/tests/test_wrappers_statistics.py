"""StatisticsWrapper: the suite, and exact counts for single and bulk calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import kv
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance
from kv_wrappers import StatisticsWrapper
from kv_wrappers.statistics import KVStoreCollectionStatistics


class TestStatisticsOverMemory(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = StatisticsWrapper(kv.connect("memory://", default_collection=default_collection))
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner: Any = store
        while not isinstance(inner, MemoryStore):
            inner = inner.key_value
        inner._collections[collection][key] = '{"not": "closed'
        return True


def _counts(stats: KVStoreCollectionStatistics) -> dict[str, tuple[int, ...]]:
    return {
        "get": (stats.get.count, stats.get.hit, stats.get.miss),
        "ttl": (stats.ttl.count, stats.ttl.hit, stats.ttl.miss),
        "put": (stats.put.count,),
        "delete": (stats.delete.count, stats.delete.hit, stats.delete.miss),
        "all": (stats.count,),
    }


@pytest.mark.anyio
async def test_single_calls_are_counted() -> None:
    store = StatisticsWrapper(kv.connect("memory://"))
    await store.get("a", collection="users")
    await store.put("a", {"v": 1}, collection="users")
    await store.get("a", collection="users")
    await store.ttl("a", collection="users")
    await store.ttl("b", collection="users")
    await store.delete("a", collection="users")
    await store.delete("a", collection="users")
    assert _counts(store.statistics.get_collection("users")) == {
        "get": (2, 1, 1),
        "ttl": (2, 1, 1),
        "put": (1,),
        "delete": (2, 1, 1),
        "all": (7,),
    }
    assert list(store.statistics.collections) == ["users"]


@pytest.mark.anyio
async def test_bulk_calls_count_each_key() -> None:
    store = StatisticsWrapper(kv.connect("memory://"))
    await store.put_many(["a", "b", "c"], [{}, {}, {}], collection="c1")
    assert await store.get_many(["a", "x", "b", "y", "a"], collection="c1") == [
        {},
        None,
        {},
        None,
        {},
    ]
    await store.ttl_many(["a", "x"], collection="c1")
    assert await store.delete_many(["a", "x", "b"], collection="c1") == 2
    assert _counts(store.statistics.get_collection("c1")) == {
        "get": (5, 3, 2),
        "ttl": (2, 1, 1),
        "put": (3,),
        "delete": (3, 2, 1),
        "all": (13,),
    }
    await store.get_many([], collection="c1")
    assert store.statistics.get_collection("c1").get.count == 5


@pytest.mark.anyio
async def test_none_is_counted_under_the_wrapped_store_s_own_default() -> None:
    inner = kv.connect("memory://?default_collection=mine")
    store = StatisticsWrapper(inner)
    await store.put("k", {"v": 1})
    await store.get("k")
    await store.get("k", collection="mine")
    assert list(store.statistics.collections) == ["mine"]
    assert store.statistics.get_collection("mine").get.hit == 2
    # None is still passed on: the wrapped store decides where its default is.
    assert await inner.get("k") == {"v": 1}
    assert store.default_collection == "mine"


@pytest.mark.anyio
async def test_the_default_of_a_wrapped_wrapper_is_found() -> None:
    from kv_wrappers import PrefixCollectionsWrapper

    inner = PrefixCollectionsWrapper(kv.connect("memory://?default_collection=x"), prefix="p")
    store = StatisticsWrapper(inner)
    await store.get("k")
    assert list(store.statistics.collections) == ["x"]


@pytest.mark.anyio
async def test_failed_calls_count_nothing() -> None:
    store = StatisticsWrapper(kv.connect("memory://"))
    with pytest.raises(kv.SerializationError):
        await store.put("k", {"bad": {1}}, collection="c")
    with pytest.raises(kv.InvalidKeyError):
        await store.get("", collection="c")
    assert store.statistics.collections == {}


@pytest.mark.anyio
async def test_reset() -> None:
    store = StatisticsWrapper(kv.connect("memory://"))
    await store.get("k")
    store.statistics.reset()
    assert store.statistics.collections == {}
