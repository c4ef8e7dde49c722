"""PrefixKeysWrapper: the suite, isolation of prefixes, unprefixed listings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

import kv
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance
from kv_wrappers import PrefixKeysWrapper
from kv_wrappers._naming import escape_head


class TestPrefixKeysOverMemory(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = PrefixKeysWrapper(
            kv.connect("memory://", default_collection=default_collection), prefix="tenant"
        )
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner = cast(PrefixKeysWrapper, store).key_value
        assert isinstance(inner, MemoryStore)
        inner._collections[collection][f"tenant__{key}"] = '{"not": "closed'
        return True


class TestEscapedPrefixKeysOverMemory(StoreConformance):
    """A prefix that must be escaped behaves like any other."""

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = PrefixKeysWrapper(
            kv.connect("memory://", default_collection=default_collection), prefix="t__%_"
        )
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner = cast(PrefixKeysWrapper, store).key_value
        assert isinstance(inner, MemoryStore)
        inner._collections[collection][f"{escape_head('t__%_')}__{key}"] = '{"not": "closed'
        return True


@pytest.mark.anyio
async def test_layout_is_py_key_value_s() -> None:
    inner = kv.connect("memory://")
    wrapper = PrefixKeysWrapper(inner, prefix="tenant")
    await wrapper.put("alice", {"v": 1}, collection="users")
    assert await inner.get("tenant__alice", collection="users") == {"v": 1}
    await wrapper.put("bob", {"v": 2})
    assert await inner.get("tenant__bob") == {"v": 2}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("a", "b__c"), ("a__b", "c")),
        (("a", "_c"), ("a_", "c")),
        (("a%5F", "c"), ("a_", "c")),
        (("a", "%c"), ("a%", "c")),
    ],
)
async def test_two_prefixes_never_share_a_key(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    inner = kv.connect("memory://")
    one = PrefixKeysWrapper(inner, prefix=first[0])
    two = PrefixKeysWrapper(inner, prefix=second[0])
    await one.put(first[1], {"who": "one"})
    await two.put(second[1], {"who": "two"})
    assert await one.get(first[1]) == {"who": "one"}
    assert await two.get(second[1]) == {"who": "two"}
    assert await cast(Any, one).keys() == [first[1]]
    assert await cast(Any, two).keys() == [second[1]]


@pytest.mark.anyio
async def test_listings_and_destroy_see_only_own_keys() -> None:
    inner = kv.connect("memory://")
    one = cast(Any, PrefixKeysWrapper(inner, prefix="one"))
    two = cast(Any, PrefixKeysWrapper(inner, prefix="two"))
    await one.put_many(["a", "b"], [{}, {}], collection="users")
    await one.put("x", {}, collection="orders")
    await two.put("z", {}, collection="users")
    await two.put("y", {}, collection="only-two")
    await inner.put("plain", {}, collection="users")
    assert sorted(await one.keys("users")) == ["a", "b"]
    assert await two.keys("users") == ["z"]
    assert sorted(await one.collections()) == ["orders", "users"]
    assert sorted(await two.collections()) == ["only-two", "users"]
    assert await one.destroy_collection("users") is True
    assert await one.keys("users") == []
    assert await two.keys("users") == ["z"]
    assert await one.destroy() is True
    assert await one.collections() == []
    assert await one.destroy() is False
    assert await inner.get("plain", collection="users") == {}
    assert sorted(await two.collections()) == ["only-two", "users"]


@pytest.mark.anyio
async def test_errors_name_the_unprefixed_key() -> None:
    wrapper = PrefixKeysWrapper(kv.connect("memory://"), prefix="tenant")
    with pytest.raises(kv.SerializationError) as caught:
        await wrapper.put("alice", {"bad": {1}}, collection="users")
    assert caught.value.key == "alice"
    assert "tenant__" not in str(caught.value)


@pytest.mark.anyio
async def test_invalid_keys_are_refused_before_prefixing() -> None:
    wrapper = PrefixKeysWrapper(kv.connect("memory://"), prefix="p")
    with pytest.raises(kv.InvalidKeyError):
        await wrapper.put("", {})
    with pytest.raises(TypeError):
        await wrapper.get_many("ab")


def test_capabilities_follow_the_wrapped_store() -> None:
    over_memory = PrefixKeysWrapper(kv.connect("memory://"), prefix="p")
    over_null = PrefixKeysWrapper(kv.connect("null://"), prefix="p")
    for protocol in (kv.EnumerateKeys, kv.EnumerateCollections, kv.DestroyStore, kv.Cull):
        assert isinstance(over_memory, protocol)
        assert not isinstance(over_null, protocol)


@pytest.mark.parametrize("bad", ["", None, "\ud800"])
def test_bad_prefix_is_refused(bad: Any) -> None:
    with pytest.raises(kv.InvalidOptionError):
        PrefixKeysWrapper(kv.connect("memory://"), prefix=bad)
