"""RoutingWrapper and CollectionRoutingWrapper: the suite, targets, merged enumeration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

import kv
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance
from kv_wrappers import CollectionRoutingWrapper, RoutingWrapper


class TestCollectionRoutingOverMemory(StoreConformance):
    """Two memory stores: "test" and "one" go to the first, the rest to the default."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        routed = kv.connect("memory://", default_collection=default_collection)
        wrapper = CollectionRoutingWrapper(
            {"test": routed, "one": routed},
            default_store=kv.connect("memory://", default_collection=default_collection),
        )
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        target = cast(Any, store)._route(collection)
        assert isinstance(target, MemoryStore)
        target._collections[collection][key] = '{"not": "closed'
        return True


class TestRoutingOverMemory(StoreConformance):
    """A routing function over two memory stores, split by the collection's first letter."""

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        low, high = (
            kv.connect("memory://", default_collection=default_collection),
            kv.connect("memory://", default_collection=default_collection),
        )

        def route(collection: str | None) -> kv.AsyncKeyValue | None:
            return high if collection is not None and collection[:1] >= "m" else None

        wrapper = RoutingWrapper(route, default_store=low, stores=[high])
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        target = cast(Any, store)._route(collection)
        assert isinstance(target, MemoryStore)
        target._collections[collection][key] = '{"not": "closed'
        return True


@pytest.mark.anyio
async def test_collections_go_to_their_store() -> None:
    sessions, default = kv.connect("memory://"), kv.connect("memory://")
    store = CollectionRoutingWrapper({"sessions": sessions}, default_store=default)
    await store.put("s1", {"v": 1}, collection="sessions")
    await store.put_many(["u1", "u2"], [{}, {}], collection="users")
    await store.put("d", {"v": 2})
    assert await sessions.get("s1", collection="sessions") == {"v": 1}
    assert await default.get("s1", collection="sessions") is None
    assert await default.get_many(["u1", "u2"], collection="users") == [{}, {}]
    assert await default.get("d") == {"v": 2}
    assert await store.delete_many(["u1", "u2"], collection="users") == 2
    assert await store.ttl("s1", collection="sessions") == ({"v": 1}, None)


@pytest.mark.anyio
async def test_the_map_is_copied() -> None:
    sessions, default = kv.connect("memory://"), kv.connect("memory://")
    table: dict[str, kv.AsyncKeyValue] = {"sessions": sessions}
    store = CollectionRoutingWrapper(table, default_store=default)
    table["users"] = sessions
    await store.put("u", {}, collection="users")
    assert await default.get("u", collection="users") == {}
    with pytest.raises(TypeError):
        store.collection_map["x"] = sessions  # type: ignore[index]


@pytest.mark.anyio
async def test_routing_function_sees_the_collection_and_none_falls_back() -> None:
    seen: list[str | None] = []
    other, default = kv.connect("memory://"), kv.connect("memory://")

    def route(collection: str | None) -> kv.AsyncKeyValue | None:
        seen.append(collection)
        return other if collection == "special" else None

    store = RoutingWrapper(route, default_store=default)
    await store.put("k", {"v": 1}, collection="special")
    await store.put("k", {"v": 2})
    assert seen == ["special", None]
    assert await other.get("k", collection="special") == {"v": 1}
    assert await default.get("k") == {"v": 2}


@pytest.mark.anyio
async def test_enumeration_merges_the_stores_by_route() -> None:
    sessions, default = kv.connect("memory://"), kv.connect("memory://")
    # A stray "sessions" collection in the default store is not reachable, so not listed
    # from there; a stray "users" collection in the sessions store neither.
    await default.put("stale", {}, collection="sessions")
    await sessions.put("stale", {}, collection="users")
    store = cast(Any, CollectionRoutingWrapper({"sessions": sessions}, default_store=default))
    await store.put("s1", {}, collection="sessions")
    await store.put("u1", {}, collection="users")
    assert sorted(await store.collections()) == ["sessions", "users"]
    assert sorted(await store.keys("sessions")) == ["s1"]
    assert await store.keys("users") == ["u1"]
    assert await store.destroy_collection("sessions") is True
    assert await sessions.get("s1", collection="sessions") is None
    assert await default.get("stale", collection="sessions") == {}
    assert await store.cull() == 0
    assert await store.destroy() is True
    assert await store.collections() == []


def test_capabilities_need_every_store() -> None:
    memory, null = kv.connect("memory://"), kv.connect("null://")
    both = CollectionRoutingWrapper({"a": memory}, default_store=kv.connect("memory://"))
    mixed = CollectionRoutingWrapper({"a": null}, default_store=memory)
    for protocol in (kv.EnumerateKeys, kv.EnumerateCollections, kv.DestroyStore, kv.Cull):
        assert isinstance(both, protocol)
        assert not isinstance(mixed, protocol)
    assert both.capabilities.enumerate_keys
    assert not mixed.capabilities.enumerate_keys


def test_unknown_targets_offer_no_capability() -> None:
    memory = kv.connect("memory://")
    unknown = RoutingWrapper(lambda collection: None, default_store=memory)
    assert not isinstance(unknown, kv.EnumerateKeys)
    assert not unknown.capabilities.destroy
    known = RoutingWrapper(lambda collection: None, default_store=memory, stores=[memory])
    assert isinstance(known, kv.EnumerateKeys)


def test_declared_properties_combine_conservatively() -> None:
    bounded = kv.connect("memory://?max_entries=10")
    store = CollectionRoutingWrapper({"a": bounded}, default_store=kv.connect("memory://"))
    assert store.capabilities.bounded


@pytest.mark.anyio
async def test_each_store_is_set_up_and_closed_once() -> None:
    calls: list[str] = []

    class Tracked:
        def __init__(self, name: str) -> None:
            self.name = name
            self.inner = kv.connect("memory://")

        async def setup(self) -> None:
            calls.append(f"setup {self.name}")

        async def close(self) -> None:
            calls.append(f"close {self.name}")

        def __getattr__(self, attribute: str) -> Any:
            return getattr(self.inner, attribute)

    a, b = Tracked("a"), Tracked("b")
    store = CollectionRoutingWrapper(
        {"x": cast(Any, a), "y": cast(Any, a)}, default_store=cast(Any, b)
    )
    async with store:
        pass
    assert sorted(calls) == ["close a", "close b", "setup a", "setup b"]


@pytest.mark.parametrize(
    "table", [{"": kv.connect("memory://")}, {"a": object()}, [("a", kv.connect("memory://"))]]
)
def test_bad_maps_are_refused(table: Any) -> None:
    with pytest.raises(kv.InvalidOptionError):
        CollectionRoutingWrapper(table, default_store=kv.connect("memory://"))


def test_bad_routing_function_is_refused() -> None:
    with pytest.raises(kv.InvalidOptionError):
        RoutingWrapper(cast(Any, "not callable"), default_store=kv.connect("memory://"))
