"""SingleCollectionWrapper: the suite, unambiguous folding, translated enumeration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

import kv
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance
from kv_wrappers import SingleCollectionWrapper
from kv_wrappers._naming import escape_head


class TestSingleCollectionOverMemory(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = SingleCollectionWrapper(
            kv.connect("memory://", default_collection=default_collection), single_collection="all"
        )
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner = cast(SingleCollectionWrapper, store).key_value
        assert isinstance(inner, MemoryStore)
        inner._collections["all"][f"{escape_head(collection)}__{key}"] = '{"not": "closed'
        return True


class TestSingleCollectionOtherSeparatorOverMemory(StoreConformance):
    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = SingleCollectionWrapper(
            kv.connect("memory://", default_collection=default_collection),
            single_collection="all",
            separator="::",
        )
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner = cast(SingleCollectionWrapper, store).key_value
        assert isinstance(inner, MemoryStore)
        inner._collections["all"][f"{escape_head(collection, '::')}::{key}"] = '{"not": "closed'
        return True


@pytest.mark.anyio
async def test_layout_is_py_key_value_s() -> None:
    inner = kv.connect("memory://")
    wrapper = SingleCollectionWrapper(inner, single_collection="all")
    await wrapper.put("alice", {"v": 1}, collection="users")
    await wrapper.put("bob", {"v": 2})
    assert await inner.get("users__alice", collection="all") == {"v": 1}
    assert await inner.get("default_collection__bob", collection="all") == {"v": 2}
    assert await cast(Any, inner).collections() == ["all"]


@pytest.mark.anyio
async def test_none_is_the_wrapped_store_s_own_default() -> None:
    inner = kv.connect("memory://?default_collection=mine")
    wrapper = SingleCollectionWrapper(inner, single_collection="all")
    assert wrapper.default_collection == "mine"
    await wrapper.put("k", {"v": 1})
    assert await inner.get("mine__k", collection="all") == {"v": 1}
    assert await wrapper.get("k", collection="mine") == {"v": 1}


@pytest.mark.anyio
@pytest.mark.parametrize("separator", ["__", "::", "/", "-x-"])
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("a__b", "c"), ("a", "b__c")),
        (("a_", "_b"), ("a", "___b")),
        (("a::b", "c"), ("a", "b::c")),
        (("a:", ":b"), ("a", "::b")),
        (("a/b", "c"), ("a", "b/c")),
        (("a%5F", "c"), ("a_", "c")),
        (("a-x", "-c"), ("a", "x--c")),
        (("a-x-b", "c"), ("a", "b-x-c")),
    ],
)
async def test_no_two_pairs_collide(
    separator: str, first: tuple[str, str], second: tuple[str, str]
) -> None:
    inner = kv.connect("memory://")
    wrapper = cast(
        Any, SingleCollectionWrapper(inner, single_collection="all", separator=separator)
    )
    await wrapper.put(first[1], {"pair": 1}, collection=first[0])
    await wrapper.put(second[1], {"pair": 2}, collection=second[0])
    assert await wrapper.get(first[1], collection=first[0]) == {"pair": 1}
    assert await wrapper.get(second[1], collection=second[0]) == {"pair": 2}
    assert len(await inner.keys("all")) == 2  # type: ignore[attr-defined]
    assert await wrapper.keys(first[0]) == [first[1]]
    assert await wrapper.keys(second[0]) == [second[1]]
    assert sorted(await wrapper.collections()) == sorted({first[0], second[0]})


@pytest.mark.anyio
async def test_enumeration_is_translated_back() -> None:
    inner = kv.connect("memory://")
    await inner.put("foreign", {}, collection="all")  # not written by the wrapper
    wrapper = cast(Any, SingleCollectionWrapper(inner, single_collection="all"))
    await wrapper.put_many(["a", "b"], [{}, {}], collection="users")
    await wrapper.put("o", {}, collection="orders")
    await wrapper.put("d", {})
    assert sorted(await wrapper.keys("users")) == ["a", "b"]
    assert await wrapper.keys() == ["d"]
    assert sorted(await wrapper.collections()) == ["default_collection", "orders", "users"]
    assert await wrapper.destroy_collection("users") is True
    assert await wrapper.destroy_collection("users") is False
    assert await wrapper.get("o", collection="orders") == {}
    assert sorted(await wrapper.collections()) == ["default_collection", "orders"]
    assert await wrapper.destroy() is True
    assert await wrapper.collections() == []


@pytest.mark.anyio
async def test_errors_name_the_logical_collection_and_key() -> None:
    wrapper = SingleCollectionWrapper(kv.connect("memory://"), single_collection="all")
    with pytest.raises(kv.SerializationError) as caught:
        await wrapper.put("alice", {"bad": {1}}, collection="users")
    assert (caught.value.collection, caught.value.key) == ("users", "alice")


def test_capabilities() -> None:
    over_memory = SingleCollectionWrapper(kv.connect("memory://"), single_collection="all")
    over_null = SingleCollectionWrapper(kv.connect("null://"), single_collection="all")
    for protocol in (kv.EnumerateKeys, kv.EnumerateCollections, kv.DestroyStore, kv.Cull):
        assert isinstance(over_memory, protocol)
        assert not isinstance(over_null, protocol)


@pytest.mark.parametrize(
    "options",
    [
        {"single_collection": ""},
        {"single_collection": "all", "separator": ""},
        {"single_collection": "all", "separator": "%"},
        {"single_collection": "all", "default_collection": ""},
    ],
)
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(kv.InvalidOptionError):
        SingleCollectionWrapper(kv.connect("memory://"), **options)
