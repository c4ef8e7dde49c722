"""ReadOnlyWrapper: the suite with 'read_only' declared, and the errors it raises."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import kv
from kv_conformance import StoreConformance
from kv_wrappers import ReadOnlyWrapper

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestReadOnlyWrapper(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = ReadOnlyWrapper(kv.connect("memory://", default_collection=default_collection))
        yield wrapper
        await wrapper.close()

    async def writable_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        assert isinstance(store, ReadOnlyWrapper)
        return store.key_value


class TestSilentReadOnlyWrapper(StoreConformance):
    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = ReadOnlyWrapper(
            kv.connect("memory://", default_collection=default_collection), raise_on_write=False
        )
        yield wrapper
        await wrapper.close()

    async def writable_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        assert isinstance(store, ReadOnlyWrapper)
        return store.key_value


async def test_errors_name_operation_key_and_collection() -> None:
    store = ReadOnlyWrapper(kv.connect("memory://", default_collection="mine"))
    with pytest.raises(kv.ReadOnlyError) as caught:
        await store.put("k", {"v": 1}, collection="c")
    assert caught.value.operation == "put"
    assert (caught.value.key, caught.value.collection) == ("k", "c")
    assert str(caught.value) == (
        "The store is read-only: put() refused (key='k', collection='c', store=ReadOnlyWrapper)"
    )
    with pytest.raises(kv.ReadOnlyError) as bulk:
        await store.delete_many(["a", "b", "c"])
    assert bulk.value.operation == "delete_many"
    assert bulk.value.collection == "mine", "None is reported as the store's default collection"
    assert "3 keys" in str(bulk.value)
    with pytest.raises(kv.ReadOnlyError, match="put_many"):
        await store.put_many(["a"], [{"v": 1}])
    with pytest.raises(kv.ReadOnlyError, match="delete"):
        await store.delete("a")


async def test_reads_pass_through() -> None:
    inner = kv.connect("memory://")
    await inner.put("k", {"v": 1}, ttl=60)
    store = ReadOnlyWrapper(inner)
    assert await store.get("k") == {"v": 1}
    assert await store.keys() == ["k"]  # type: ignore[attr-defined]


async def test_declares_read_only_and_offers_no_destruction() -> None:
    store = ReadOnlyWrapper(kv.connect("memory://"))
    assert store.capabilities.read_only
    assert "read_only" in store.capabilities.flags()
    assert isinstance(store, kv.EnumerateKeys)
    assert isinstance(store, kv.EnumerateCollections)
    assert not isinstance(store, kv.DestroyStore)
    assert not isinstance(store, kv.DestroyCollection)
    assert not isinstance(store, kv.Cull)


async def test_silent_mode() -> None:
    inner = kv.connect("memory://")
    await inner.put("k", {"v": 1})
    store = ReadOnlyWrapper(inner, raise_on_write=False)
    await store.put("k", {"v": 2})
    await store.put_many(["k", "x"], [{"v": 3}, {"v": 4}])
    assert await store.delete("k") is False
    assert await store.delete_many(["k"]) == 0
    assert await inner.get_many(["k", "x"]) == [{"v": 1}, None]
