"""FallbackWrapper: the suite (primary up, and primary down), and when it falls back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

import kv
from kv_conformance import StoreConformance
from kv_wrappers import BaseWrapper, FallbackWrapper

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Unavailable(BaseWrapper):
    """A store whose backend is unreachable while ``down`` is set."""

    def __init__(self, key_value: kv.AsyncKeyValue, error: Exception | None = None) -> None:
        self.down = True
        self.error = error or kv.StoreConnectionError("Connection refused", store="flaky")
        self.calls = 0
        super().__init__(key_value)

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise self.error

    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        self._check()
        return await super().get(key, collection=collection)

    async def ttl(self, key: str, *, collection: str | None = None) -> Any:
        self._check()
        return await super().ttl(key, collection=collection)

    async def get_many(self, keys: Sequence[str], *, collection: str | None = None) -> Any:
        self._check()
        return await super().get_many(keys, collection=collection)

    async def ttl_many(self, keys: Sequence[str], *, collection: str | None = None) -> Any:
        self._check()
        return await super().ttl_many(keys, collection=collection)

    async def put(self, key: str, value: Any, **kwargs: Any) -> None:
        self._check()
        await super().put(key, value, **kwargs)

    async def put_many(self, keys: Sequence[str], values: Any, **kwargs: Any) -> None:
        self._check()
        await super().put_many(keys, values, **kwargs)

    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        self._check()
        return await super().delete(key, collection=collection)

    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        self._check()
        return await super().delete_many(keys, collection=collection)

    async def _unavailable_walk(self) -> AsyncIterator[str]:
        self._check()
        yield "never"

    def _pass_iter_keys(self, collection: str | None, page_size: int | None) -> AsyncIterator[str]:
        if self.down:
            return self._unavailable_walk()
        return super()._pass_iter_keys(collection, page_size)

    def _pass_iter_collections(self, page_size: int | None) -> AsyncIterator[str]:
        if self.down:
            return self._unavailable_walk()
        return super()._pass_iter_collections(page_size)

    async def _pass_destroy(self) -> bool:
        self._check()
        return await super()._pass_destroy()

    async def _pass_destroy_collection(self, collection: str) -> bool:
        self._check()
        return await super()._pass_destroy_collection(collection)

    async def _pass_cull(self) -> int:
        self._check()
        return await super()._pass_cull()


class TestFallbackWithPrimaryUp(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = FallbackWrapper(
            kv.connect("memory://", default_collection=default_collection),
            kv.connect("memory://", default_collection=default_collection),
        )
        yield wrapper
        await wrapper.close()


class TestFallbackWithPrimaryDown(StoreConformance):
    """With the primary unreachable and write_to_fallback, the fallback serves everything."""

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = FallbackWrapper(
            Unavailable(kv.connect("memory://", default_collection=default_collection)),
            kv.connect("memory://", default_collection=default_collection),
            write_to_fallback=True,
        )
        yield wrapper
        await wrapper.close()


async def test_reads_fall_back_when_the_primary_is_unreachable() -> None:
    primary_inner, fallback = kv.connect("memory://"), kv.connect("memory://")
    primary = Unavailable(primary_inner)
    primary.down = False
    await primary.put("k", {"from": "primary"})
    await fallback.put("k", {"from": "fallback"})
    store = FallbackWrapper(primary, fallback)
    assert await store.get("k") == {"from": "primary"}
    primary.down = True
    assert await store.get("k") == {"from": "fallback"}
    assert await store.ttl("k") == ({"from": "fallback"}, None)
    assert await store.get_many(["k", "x"]) == [{"from": "fallback"}, None]
    assert await store.ttl_many(["k"]) == [({"from": "fallback"}, None)]
    primary.down = False
    assert await store.get("k") == {"from": "primary"}


@pytest.mark.parametrize(
    "error",
    [kv.StoreTimeoutError("slow"), TimeoutError("slow"), ConnectionResetError("reset")],
    ids=["kv-timeout", "builtin-timeout", "builtin-connection"],
)
async def test_default_fallback_covers_unavailability(error: Exception) -> None:
    fallback = kv.connect("memory://")
    await fallback.put("k", {"v": 1})
    store = FallbackWrapper(Unavailable(kv.connect("memory://"), error), fallback)
    assert await store.get("k") == {"v": 1}


async def test_bugs_and_bad_input_are_not_hidden() -> None:
    fallback = kv.connect("memory://")
    await fallback.put("k", {"v": 1})
    broken = Unavailable(kv.connect("memory://"), RuntimeError("a bug"))
    store = FallbackWrapper(broken, fallback)
    with pytest.raises(RuntimeError, match="a bug"):
        await store.get("k")
    corrupt = Unavailable(kv.connect("memory://"), kv.DeserializationError("corrupt"))
    with pytest.raises(kv.DeserializationError):
        await FallbackWrapper(corrupt, fallback).get("k")
    healthy = FallbackWrapper(kv.connect("memory://"), fallback)
    with pytest.raises(kv.InvalidKeyError):
        await healthy.get("")
    with pytest.raises(kv.SerializationError):
        await healthy.put("k", {"v": {1, 2}})


async def test_py_key_value_behaviour_on_request() -> None:
    fallback = kv.connect("memory://")
    await fallback.put("k", {"v": 1})
    broken = Unavailable(kv.connect("memory://"), RuntimeError("a bug"))
    store = FallbackWrapper(broken, fallback, fallback_on=(Exception,))
    assert await store.get("k") == {"v": 1}


async def test_writes_go_to_the_primary_only_by_default() -> None:
    primary, fallback = Unavailable(kv.connect("memory://")), kv.connect("memory://")
    store = FallbackWrapper(primary, fallback)
    with pytest.raises(kv.StoreConnectionError):
        await store.put("k", {"v": 1})
    with pytest.raises(kv.StoreConnectionError):
        await store.delete("k")
    assert await fallback.get("k") is None
    primary.down = False
    await store.put("k", {"v": 1})
    assert await fallback.get("k") is None
    assert await primary.get("k") == {"v": 1}


async def test_write_to_fallback() -> None:
    primary, fallback = Unavailable(kv.connect("memory://")), kv.connect("memory://")
    store = FallbackWrapper(primary, fallback, write_to_fallback=True)
    await store.put("k", {"v": 1})
    await store.put_many(["a", "b"], [{"v": 2}, {"v": 3}])
    assert await fallback.get_many(["k", "a", "b"]) == [{"v": 1}, {"v": 2}, {"v": 3}]
    assert await store.delete_many(["a", "b"]) == 2
    primary.down = False
    assert await store.get("k") is None, "the primary never saw the write"


async def test_when_both_fail_the_fallback_error_is_raised_chained() -> None:
    primary = Unavailable(kv.connect("memory://"))
    fallback = Unavailable(kv.connect("memory://"), kv.StoreTimeoutError("also down"))
    with pytest.raises(kv.StoreTimeoutError) as caught:
        await FallbackWrapper(primary, fallback).get("k")
    assert isinstance(caught.value.__context__, kv.StoreConnectionError)


async def test_enumeration_and_destroy_fall_back() -> None:
    primary, fallback = Unavailable(kv.connect("memory://")), kv.connect("memory://")
    await fallback.put_many(["a", "b"], [{}, {}], collection="c")
    store = FallbackWrapper(primary, fallback)
    assert isinstance(store, kv.EnumerateKeys)
    assert sorted(await store.keys("c")) == ["a", "b"]
    assert "c" in await store.collections()  # type: ignore[attr-defined]
    with pytest.raises(kv.StoreConnectionError):
        await store.destroy()  # type: ignore[attr-defined]
    writer = FallbackWrapper(primary, fallback, write_to_fallback=True)
    assert await writer.destroy_collection("c") is True  # type: ignore[attr-defined]
    assert await fallback.get("a", collection="c") is None


async def test_capabilities_need_both_stores() -> None:
    store = FallbackWrapper(kv.connect("memory://"), kv.connect("null://"))
    assert not isinstance(store, kv.EnumerateKeys)
    assert not store.capabilities.enumerate_keys


def test_fallback_on_is_checked() -> None:
    with pytest.raises(kv.InvalidOptionError):
        FallbackWrapper(kv.connect("memory://"), kv.connect("memory://"), fallback_on=())
    with pytest.raises(kv.InvalidOptionError):
        FallbackWrapper(
            kv.connect("memory://"),
            kv.connect("memory://"),
            fallback_on=("ConnectionError",),  # type: ignore[arg-type]
        )
    single = FallbackWrapper(
        kv.connect("memory://"),
        kv.connect("memory://"),
        fallback_on=ConnectionError,  # type: ignore[arg-type]
    )
    assert single.fallback_on == (ConnectionError,)
