"""LimitSizeWrapper: the suite, inclusive limits, raise or drop, put_many checks first."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import kv
from kv.errors import EntryTooSmallError
from kv_conformance import StoreConformance
from kv_wrappers import LimitSizeWrapper

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestLimitSizeWrapper(StoreConformance):
    """A maximum the suite's values fit in: max_value_size is declared and enforced."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = LimitSizeWrapper(
            kv.connect("memory://", default_collection=default_collection), max_size=2_000_000
        )
        yield wrapper
        await wrapper.close()


class TestLimitSizeWrapperDropping(StoreConformance):
    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = LimitSizeWrapper(
            kv.connect("memory://", default_collection=default_collection),
            min_size=0,
            max_size=5_000_000,
            raise_on_too_large=False,
        )
        yield wrapper
        await wrapper.close()


def _store(**limits: object) -> tuple[kv.AsyncKeyValue, LimitSizeWrapper]:
    inner = kv.connect("memory://")
    return inner, LimitSizeWrapper(inner, **limits)  # type: ignore[arg-type]


async def test_limits_are_inclusive_on_compact_json_bytes() -> None:
    _, store = _store(min_size=10, max_size=20, raise_on_too_small=True)
    await store.put("min", {"k": "xx"})  # {"k":"xx"} is 10 bytes
    await store.put("max", {"k": "x" * 12})  # 20 bytes
    with pytest.raises(kv.EntryTooLargeError) as large:
        await store.put("big", {"k": "x" * 13}, collection="c")
    assert (large.value.size, large.value.limit) == (21, 20)
    assert "'big'" in str(large.value)
    assert "'c'" in str(large.value)
    with pytest.raises(EntryTooSmallError) as small:
        await store.put("small", {"k": "x"})
    assert (small.value.size, small.value.limit) == (9, 10)
    assert await store.get_many(["min", "max", "big", "small"]) == [
        {"k": "xx"},
        {"k": "x" * 12},
        None,
        None,
    ]


async def test_too_small_is_dropped_silently_by_default() -> None:
    inner, store = _store(min_size=100)
    await store.put("k", {"v": "old and long enough" * 10})
    await store.put("k", {"v": 1})
    assert await inner.get("k") == {"v": "old and long enough" * 10}


async def test_too_large_can_be_dropped_silently() -> None:
    inner, store = _store(max_size=10, raise_on_too_large=False)
    await store.put("k", {"v": "x" * 100})
    assert await inner.get("k") is None
    assert store.capabilities.max_value_size is None


async def test_put_many_checks_every_value_before_writing() -> None:
    inner, store = _store(max_size=20)
    with pytest.raises(kv.EntryTooLargeError):
        await store.put_many(["a", "b"], [{"v": 1}, {"v": "x" * 50}])
    assert await inner.get_many(["a", "b"]) == [None, None]


async def test_put_many_writes_the_survivors_when_dropping() -> None:
    inner, store = _store(min_size=10, max_size=20, raise_on_too_large=False)
    await store.put_many(
        ["small", "fine", "large"], [{"k": 1}, {"k": "fine!"}, {"k": "x" * 50}], ttl=60
    )
    assert await inner.get_many(["small", "fine", "large"]) == [None, {"k": "fine!"}, None]
    value, remaining = await inner.ttl("fine")
    assert value == {"k": "fine!"}
    assert remaining is not None
    assert remaining > 55


async def test_dropped_writes_still_check_key_and_ttl() -> None:
    _, store = _store(min_size=100)
    with pytest.raises(kv.InvalidKeyError):
        await store.put("", {"v": 1})
    with pytest.raises(kv.InvalidTTLError):
        await store.put("k", {"v": 1}, ttl=-1)
    with pytest.raises(kv.InvalidTTLError):
        await store.put_many(["a"], [{"v": 1}], ttl=0)


async def test_declares_the_smaller_limit() -> None:
    _, store = _store(max_size=1000)
    assert store.capabilities.max_value_size == 1000
    outer = LimitSizeWrapper(store, max_size=5000)
    assert outer.capabilities.max_value_size == 1000
    assert isinstance(store, kv.EnumerateKeys)


async def test_reads_are_not_filtered() -> None:
    inner, store = _store(max_size=10)
    await inner.put("big", {"v": "x" * 100})
    assert await store.get("big") == {"v": "x" * 100}


def test_bad_limits_are_refused() -> None:
    inner = kv.connect("memory://")
    with pytest.raises(kv.InvalidOptionError):
        LimitSizeWrapper(inner, min_size=-1)
    with pytest.raises(kv.InvalidOptionError):
        LimitSizeWrapper(inner, min_size=10, max_size=5)
    with pytest.raises(kv.InvalidOptionError):
        LimitSizeWrapper(inner, max_size=1.5)  # type: ignore[arg-type]
