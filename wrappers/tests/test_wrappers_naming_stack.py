"""A deep stack of the renaming, retry, timeout, clamp, statistics and routing wrappers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

import kv
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance
from kv_wrappers import (
    CollectionRoutingWrapper,
    PrefixCollectionsWrapper,
    PrefixKeysWrapper,
    RetryWrapper,
    SingleCollectionWrapper,
    StatisticsWrapper,
    TimeoutWrapper,
    TTLClampWrapper,
)
from kv_wrappers._naming import escape_head


def build_stack(default_collection: str | None = None) -> StatisticsWrapper:
    """Statistics > prefix keys > prefix collections > single collection > routing >
    retry > timeout > TTL clamp > memory (whose default collection is ``default_collection``)."""

    def leaf() -> kv.AsyncKeyValue:
        memory = kv.connect("memory://", default_collection=default_collection)
        clamp = TTLClampWrapper(memory, min_ttl=0, max_ttl=86400)
        return RetryWrapper(TimeoutWrapper(clamp, timeout=5), initial_delay=0)

    routed = CollectionRoutingWrapper({"other": leaf()}, default_store=leaf())
    single = SingleCollectionWrapper(routed, single_collection="all")
    return StatisticsWrapper(
        PrefixKeysWrapper(PrefixCollectionsWrapper(single, prefix="app"), prefix="tenant")
    )


class TestDeepStackOverMemory(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = build_stack(default_collection)
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        # single collection "all" of the routing default's memory store, key
        # escaped("app__" + collection) + "__" + "tenant__" + key
        routed = cast(Any, store).key_value.key_value.key_value.key_value
        inner: Any = routed.default_store
        while not isinstance(inner, MemoryStore):
            inner = inner.key_value
        physical = f"{escape_head('app__' + collection)}__tenant__{key}"
        inner._collections["all"][physical] = '{"not": "closed'
        return True


@pytest.mark.anyio
async def test_the_stack_translates_every_name_back() -> None:
    store = cast(Any, build_stack())
    await store.put("k", {"v": 1}, collection="users")
    await store.put("d", {"v": 2})
    assert sorted(await store.collections()) == ["default_collection", "users"]
    assert await store.keys("users") == ["k"]
    assert store.statistics.get_collection("default_collection").put.count == 1
    assert isinstance(store, kv.DestroyStore)
    assert await store.destroy() is True
    assert await store.collections() == []
