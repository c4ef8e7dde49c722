"""PrefixCollectionsWrapper: the suite, isolation, unprefixed listings, own default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

import kv
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance
from kv_wrappers import PrefixCollectionsWrapper
from kv_wrappers._naming import escape_head


class TestPrefixCollectionsOverMemory(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = PrefixCollectionsWrapper(
            kv.connect("memory://", default_collection=default_collection), prefix="app"
        )
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner = cast(PrefixCollectionsWrapper, store).key_value
        assert isinstance(inner, MemoryStore)
        inner._collections[f"app__{collection}"][key] = '{"not": "closed'
        return True


class TestAmbiguousPrefixOverMemory(StoreConformance):
    """A prefix that must be escaped behaves like any other."""

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = PrefixCollectionsWrapper(
            kv.connect("memory://", default_collection=default_collection), prefix="a__b%_"
        )
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner = cast(PrefixCollectionsWrapper, store).key_value
        assert isinstance(inner, MemoryStore)
        inner._collections[f"{escape_head('a__b%_')}__{collection}"][key] = '{"not": "closed'
        return True


@pytest.mark.anyio
async def test_layout_is_py_key_value_s() -> None:
    inner = kv.connect("memory://")
    wrapper = PrefixCollectionsWrapper(inner, prefix="app")
    await wrapper.put("k", {"v": 1}, collection="users")
    await wrapper.put("d", {"v": 2})
    assert await inner.get("k", collection="app__users") == {"v": 1}
    assert await inner.get("d", collection="app__default_collection") == {"v": 2}


@pytest.mark.anyio
async def test_none_is_the_wrapped_store_s_own_default() -> None:
    inner = kv.connect("memory://?default_collection=mine")
    wrapper = PrefixCollectionsWrapper(inner, prefix="app")
    assert wrapper.default_collection == "mine"
    await wrapper.put("k", {"v": 1})
    assert await inner.get("k", collection="app__mine") == {"v": 1}
    assert await wrapper.get("k", collection="mine") == {"v": 1}
    assert await inner.get("k", collection="app__default_collection") is None


@pytest.mark.anyio
async def test_explicit_default_collection() -> None:
    inner = kv.connect("memory://")
    wrapper = PrefixCollectionsWrapper(inner, prefix="app", default_collection="main")
    await wrapper.put("k", {"v": 1})
    assert await inner.get("k", collection="app__main") == {"v": 1}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("a", "b__c"), ("a__b", "c")),
        (("a", "_c"), ("a_", "c")),
        (("a%5F", "c"), ("a_", "c")),
        (("a", "%c"), ("a%", "c")),
        (("p", "x"), ("p__x", "x")),
    ],
)
async def test_two_prefixes_never_share_a_collection(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    inner = kv.connect("memory://")
    one = PrefixCollectionsWrapper(inner, prefix=first[0])
    two = PrefixCollectionsWrapper(inner, prefix=second[0])
    await one.put("k", {"who": "one"}, collection=first[1])
    await two.put("k", {"who": "two"}, collection=second[1])
    assert await one.get("k", collection=first[1]) == {"who": "one"}
    assert await two.get("k", collection=second[1]) == {"who": "two"}
    assert await cast(Any, one).collections() == [first[1]]
    assert await cast(Any, two).collections() == [second[1]]


@pytest.mark.anyio
async def test_listings_are_unprefixed_and_isolated() -> None:
    inner = kv.connect("memory://")
    one = cast(Any, PrefixCollectionsWrapper(inner, prefix="one"))
    two = cast(Any, PrefixCollectionsWrapper(inner, prefix="two"))
    await one.put_many(["a", "b"], [{}, {}], collection="users")
    await one.put("x", {}, collection="orders")
    await two.put("z", {}, collection="users")
    await inner.put("plain", {}, collection="unrelated")
    assert sorted(await one.collections()) == ["orders", "users"]
    assert await two.collections() == ["users"]
    assert sorted(await one.keys("users")) == ["a", "b"]
    assert await two.keys("users") == ["z"]
    assert await one.destroy() is True
    assert await one.collections() == []
    assert await two.get("z", collection="users") == {}
    assert await inner.get("plain", collection="unrelated") == {}
    assert await two.destroy_collection("users") is True
    assert await inner.collections() == ["unrelated"]


@pytest.mark.anyio
async def test_errors_name_the_unprefixed_collection() -> None:
    wrapper = PrefixCollectionsWrapper(kv.connect("memory://"), prefix="app")
    with pytest.raises(kv.SerializationError) as caught:
        await wrapper.put("k", {"bad": {1}}, collection="users")
    assert caught.value.collection == "users"
    assert "app__" not in str(caught.value)


def test_capabilities_follow_the_wrapped_store() -> None:
    over_memory = PrefixCollectionsWrapper(kv.connect("memory://"), prefix="p")
    over_null = PrefixCollectionsWrapper(kv.connect("null://"), prefix="p")
    assert isinstance(over_memory, kv.EnumerateCollections)
    assert isinstance(over_memory, kv.DestroyStore)
    assert not isinstance(over_null, kv.EnumerateKeys)
    assert not over_null.capabilities.destroy


@pytest.mark.parametrize("bad", ["", 3, "\ud800"])
def test_bad_prefix_is_refused(bad: Any) -> None:
    with pytest.raises(kv.InvalidOptionError):
        PrefixCollectionsWrapper(kv.connect("memory://"), prefix=bad)
