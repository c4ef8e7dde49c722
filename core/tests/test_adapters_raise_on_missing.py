"""RaiseOnMissingAdapter: reads that raise MissingKeyError for absent keys."""

from __future__ import annotations

import anyio
import pytest

import kv
from kv.adapters import RaiseOnMissingAdapter
from kv.errors import MissingKeyError

pytestmark = pytest.mark.anyio


@pytest.fixture
async def adapter() -> RaiseOnMissingAdapter:
    store = kv.connect("memory://")
    await store.put("a", {"v": 1}, collection="c", ttl=100)
    await store.put("b", {"v": 2}, collection="c")
    await store.put("d", {"v": 0})
    return RaiseOnMissingAdapter(store)


async def test_present_keys_are_returned_either_way(adapter: RaiseOnMissingAdapter) -> None:
    for flag in (False, True):
        assert await adapter.get("a", collection="c", raise_on_missing=flag) == {"v": 1}
        assert await adapter.get_many(["b", "a"], collection="c", raise_on_missing=flag) == [
            {"v": 2},
            {"v": 1},
        ]
        value, remaining = await adapter.ttl("a", collection="c", raise_on_missing=flag)
        assert value == {"v": 1}
        assert remaining is not None
        assert 0 < remaining <= 100
        entries = await adapter.ttl_many(["b", "a"], collection="c", raise_on_missing=flag)
        assert entries[0] == ({"v": 2}, None)
        assert entries[1][0] == {"v": 1}


async def test_missing_keys_give_none_by_default(adapter: RaiseOnMissingAdapter) -> None:
    assert await adapter.get("x", collection="c") is None
    assert await adapter.get_many(["a", "x"], collection="c") == [{"v": 1}, None]
    assert await adapter.ttl("x", collection="c") == (None, None)
    entries = await adapter.ttl_many(["x", "b"], collection="c", raise_on_missing=False)
    assert entries == [(None, None), ({"v": 2}, None)]


async def test_get_raises(adapter: RaiseOnMissingAdapter) -> None:
    with pytest.raises(MissingKeyError) as caught:
        await adapter.get("x", collection="c", raise_on_missing=True)
    assert caught.value.key == "x"
    assert caught.value.collection == "c"
    assert "get()" in str(caught.value)
    assert "'x'" in str(caught.value)
    assert "'c'" in str(caught.value)


async def test_get_many_raises_on_first_missing_key(adapter: RaiseOnMissingAdapter) -> None:
    with pytest.raises(MissingKeyError) as caught:
        await adapter.get_many(["a", "y", "x"], collection="c", raise_on_missing=True)
    assert caught.value.key == "y"
    assert caught.value.collection == "c"
    assert "get_many()" in str(caught.value)


async def test_ttl_raises(adapter: RaiseOnMissingAdapter) -> None:
    with pytest.raises(MissingKeyError) as caught:
        await adapter.ttl("x", collection="c", raise_on_missing=True)
    assert caught.value.key == "x"
    assert caught.value.collection == "c"
    assert "ttl()" in str(caught.value)


async def test_ttl_many_raises_on_first_missing_key(adapter: RaiseOnMissingAdapter) -> None:
    with pytest.raises(MissingKeyError) as caught:
        await adapter.ttl_many(["b", "z", "y"], collection="c", raise_on_missing=True)
    assert caught.value.key == "z"
    assert caught.value.collection == "c"
    assert "ttl_many()" in str(caught.value)


async def test_expired_keys_count_as_missing() -> None:
    store = kv.connect("memory://")
    await store.put("gone", {"v": 1}, ttl=0.001)
    adapter = RaiseOnMissingAdapter(store)
    await anyio.sleep(0.01)
    with pytest.raises(MissingKeyError):
        await adapter.get("gone", raise_on_missing=True)


async def test_error_is_a_key_error_naming_the_default_collection(
    adapter: RaiseOnMissingAdapter,
) -> None:
    assert await adapter.get("d", raise_on_missing=True) == {"v": 0}
    with pytest.raises(KeyError) as caught:
        await adapter.get("x", raise_on_missing=True)
    assert isinstance(caught.value, MissingKeyError)
    assert caught.value.collection == "default_collection"
    assert caught.value.store == "memory"


async def test_writes_and_deletes_pass_through(adapter: RaiseOnMissingAdapter) -> None:
    await adapter.put("n", {"v": 3}, collection="c", ttl=10)
    await adapter.put_many(["m", "o"], [{"v": 4}, {"v": 5}], collection="c")
    assert await adapter.key_value.get("n", collection="c") == {"v": 3}
    assert await adapter.get_many(["m", "o"], collection="c", raise_on_missing=True) == [
        {"v": 4},
        {"v": 5},
    ]
    assert await adapter.delete("n", collection="c") is True
    assert await adapter.delete("n", collection="c") is False
    assert await adapter.delete_many(["m", "o", "x"], collection="c") == 2
    with pytest.raises(MissingKeyError):
        await adapter.get("m", collection="c", raise_on_missing=True)
