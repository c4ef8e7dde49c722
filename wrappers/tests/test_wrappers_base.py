"""BaseWrapper: a pure pass-through that also passes capabilities through."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import kv
from kv_conformance import StoreConformance
from kv_wrappers import BaseWrapper


class TestBaseWrapperOverMemory(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = BaseWrapper(kv.connect("memory://", default_collection=default_collection))
        yield wrapper
        await wrapper.close()


class TestStackedBaseWrappers(StoreConformance):
    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = BaseWrapper(
            BaseWrapper(BaseWrapper(kv.connect("memory://", default_collection=default_collection)))
        )
        yield wrapper
        await wrapper.close()


def test_capabilities_follow_the_wrapped_store() -> None:
    over_memory = BaseWrapper(kv.connect("memory://"))
    over_null = BaseWrapper(kv.connect("null://"))
    for protocol in (kv.EnumerateKeys, kv.EnumerateCollections, kv.DestroyStore, kv.Cull):
        assert isinstance(over_memory, protocol)
        assert not isinstance(over_null, protocol)
    assert over_memory.capabilities.enumerate_keys
    assert not over_null.capabilities.enumerate_keys
    assert isinstance(over_memory, BaseWrapper)
    assert type(over_memory).__name__ == "BaseWrapper"
    assert type(over_memory) is type(BaseWrapper(kv.connect("memory://"))), "variants are cached"


def test_wrapper_that_passes_nothing_through_offers_nothing() -> None:
    class Opaque(BaseWrapper):
        passes_through = frozenset()

    wrapper = Opaque(kv.connect("memory://"))
    assert not isinstance(wrapper, kv.EnumerateKeys)
    assert not wrapper.capabilities.enumerate_keys
    assert isinstance(wrapper, kv.AsyncKeyValue)


@pytest.mark.anyio
async def test_wraps_a_store_that_only_has_keys() -> None:
    class KeysOnly(BaseWrapper):
        passes_through = frozenset({"enumerate_keys"})

    inner = kv.connect("memory://")
    await inner.put("a", {})

    class PyKeyValueLike:
        """A store with py-key-value's keys() but no iter_keys()."""

        async def keys(
            self, collection: str | None = None, *, limit: int | None = None
        ) -> list[str]:
            return await inner.keys(collection, limit=limit)  # type: ignore[attr-defined,no-any-return]

    wrapper = KeysOnly(PyKeyValueLike())  # type: ignore[arg-type]
    assert isinstance(wrapper, kv.EnumerateKeys)
    assert await wrapper.keys() == ["a"]  # type: ignore[attr-defined]
