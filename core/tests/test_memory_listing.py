"""memory:// lists a collection without TTLs straight from its table, and
filters expired entries out of one that has them."""

from __future__ import annotations

import pytest

import kv
from kv.errors import InvalidKeyError
from kv.stores.memory import MemoryStore

pytestmark = pytest.mark.anyio


async def test_keys_of_a_collection_without_ttls_in_insertion_order() -> None:
    store = kv.connect("memory://", default_collection="d")
    await store.put_many(["b", "a", "c"], [{"v": 1}] * 3)
    await store.put("x", {"v": 1}, collection="other")
    assert await store.keys() == ["b", "a", "c"]
    assert await store.keys("d", limit=2) == ["b", "a"]
    assert await store.keys("missing") == []
    keys = await store.keys("d")
    keys.append("mine")  # the caller's own list: the store is unchanged
    assert await store.keys("d") == ["b", "a", "c"]


async def test_keys_leave_out_expired_entries_once_a_collection_has_ttls() -> None:
    store = kv.connect("memory://")
    assert isinstance(store, MemoryStore)
    await store.put_many(["a", "b", "c"], [{"v": 1}] * 3, collection="c")
    await store.put("b", {"v": 2}, collection="c", ttl=60)
    slot = store._collections["c"]["b"]
    assert isinstance(slot, tuple)
    store._collections["c"]["b"] = (slot[0], 0.0)  # expired long ago, not yet reclaimed
    assert await store.keys("c") == ["a", "c"]
    assert await store.keys("c", limit=1) == ["a"]


async def test_keys_check_the_collection_name() -> None:
    store = kv.connect("memory://")
    with pytest.raises(InvalidKeyError, match="collection"):
        await store.keys("")
