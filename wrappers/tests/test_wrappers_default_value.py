"""DefaultValueWrapper: the suite with 'returns_defaults' declared, and its own behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import kv
from kv_conformance import StoreConformance
from kv_wrappers import DefaultValueWrapper

pytestmark = pytest.mark.anyio

DEFAULT: dict[str, Any] = {"default": True, "items": [1, {"nested": "x"}]}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestDefaultValueWrapper(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = DefaultValueWrapper(
            kv.connect("memory://", default_collection=default_collection), DEFAULT
        )
        yield wrapper
        await wrapper.close()


class TestDefaultValueWrapperWithTTL(StoreConformance):
    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = DefaultValueWrapper(
            kv.connect("memory://", default_collection=default_collection),
            {"fallback": 1},
            default_ttl=3600,
        )
        yield wrapper
        await wrapper.close()


class TestDefaultValueOverBoundedStore(StoreConformance):
    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = DefaultValueWrapper(
            kv.connect("memory://?max_entries=500", default_collection=default_collection),
            {"evicted": True},
        )
        yield wrapper
        await wrapper.close()


async def test_misses_read_as_fresh_copies_of_the_default() -> None:
    inner = kv.connect("memory://")
    store = DefaultValueWrapper(inner, DEFAULT, default_ttl=60)
    first = await store.get("missing")
    assert first == DEFAULT
    assert first is not None
    first["items"][1]["nested"] = "changed"
    assert await store.get("missing") == DEFAULT
    assert await store.ttl("missing") == (DEFAULT, 60.0)
    await inner.put("present", {"v": 1}, ttl=100)
    many = await store.ttl_many(["present", "missing"])
    assert many[0][0] == {"v": 1}
    assert many[0][1] is not None
    assert many[0][1] > 95
    assert many[1] == (DEFAULT, 60.0)
    assert await store.get_many(["missing", "present"]) == [DEFAULT, {"v": 1}]


async def test_the_default_is_never_written() -> None:
    inner = kv.connect("memory://")
    store = DefaultValueWrapper(inner, DEFAULT)
    assert await store.get("k") == DEFAULT
    assert await inner.get("k") is None
    assert await store.keys() == []  # type: ignore[attr-defined]
    assert await store.delete("k") is False


async def test_the_caller_cannot_change_the_default() -> None:
    mine = {"a": [1]}
    store = DefaultValueWrapper(kv.connect("memory://"), mine)
    mine["a"].append(2)
    assert await store.get("k") == {"a": [1]}
    copy = store.default_value
    copy["a"].append(3)
    assert store.default_value == {"a": [1]}


async def test_declares_returns_defaults() -> None:
    store = DefaultValueWrapper(kv.connect("memory://"), {})
    assert store.capabilities.returns_defaults
    assert isinstance(store, kv.EnumerateKeys)


def test_options_are_checked() -> None:
    with pytest.raises(kv.InvalidOptionError):
        DefaultValueWrapper(kv.connect("memory://"), {"when": {1, 2}})
    with pytest.raises(kv.InvalidOptionError):
        DefaultValueWrapper(kv.connect("memory://"), {}, default_ttl=0)
