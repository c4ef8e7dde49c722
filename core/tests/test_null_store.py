"""``null://`` accepts every valid write, keeps nothing, and applies the rules."""

from __future__ import annotations

import pytest

import kv

pytestmark = pytest.mark.anyio


async def test_writes_are_forgotten() -> None:
    store = kv.connect("null://")
    await store.put("k", {"v": 1}, collection="c", ttl=10)
    await store.put_many(["a", "b"], [{}, {}])
    assert await store.get("k", collection="c") is None
    assert await store.ttl("k", collection="c") == (None, None)
    assert await store.get_many(["a", "b"]) == [None, None]
    assert await store.ttl_many(["a"]) == [(None, None)]
    assert await store.delete("a") is False
    assert await store.delete_many(["a", "b"]) == 0


async def test_rules_still_apply() -> None:
    store = kv.connect("null://")
    with pytest.raises(kv.SerializationError):
        await store.put("k", {"v": {1, 2}})
    with pytest.raises(kv.InvalidTTLError):
        await store.put("k", {"v": 1}, ttl=0)
    with pytest.raises(kv.InvalidKeyError):
        await store.put("", {"v": 1})
    with pytest.raises(ValueError):
        await store.put_many(["a"], [])


def test_offers_no_optional_capability() -> None:
    store = kv.connect("null://")
    assert isinstance(store, kv.AsyncKeyValue)
    for protocol in (kv.EnumerateKeys, kv.EnumerateCollections, kv.DestroyStore, kv.Cull):
        assert not isinstance(store, protocol)
