"""TTLClampWrapper: the suite, and the clamping of written TTLs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import kv
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance
from kv_wrappers import TTLClampWrapper


class TestTTLClampOverMemory(StoreConformance):
    """Limits wide enough that the suite's TTLs (0.1 s to 100 s) pass unchanged."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = TTLClampWrapper(
            kv.connect("memory://", default_collection=default_collection), min_ttl=0, max_ttl=86400
        )
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner: Any = store
        while not isinstance(inner, MemoryStore):
            inner = inner.key_value
        inner._collections[collection][key] = '{"not": "closed'
        return True


async def _remaining(store: kv.AsyncKeyValue, key: str) -> float | None:
    return (await store.ttl(key))[1]


@pytest.mark.anyio
async def test_ttls_are_clamped_into_the_range() -> None:
    inner = kv.connect("memory://")
    store = TTLClampWrapper(inner, min_ttl=10, max_ttl=100)
    await store.put("long", {}, ttl=10_000)
    await store.put("short", {}, ttl=0.5)
    await store.put("fine", {}, ttl=50)
    await store.put("none", {})
    long, short, fine = [await _remaining(inner, k) for k in ("long", "short", "fine")]
    assert long is not None
    assert 99 < long <= 100
    assert short is not None
    assert 9 < short <= 10
    assert fine is not None
    assert 49 < fine <= 50
    assert await _remaining(inner, "none") is None


@pytest.mark.anyio
async def test_put_many_is_clamped_and_missing_ttl_applies() -> None:
    inner = kv.connect("memory://")
    store = TTLClampWrapper(inner, min_ttl=1, max_ttl=100, missing_ttl=30)
    await store.put_many(["a", "b"], [{}, {}], ttl=1e6)
    await store.put_many(["c"], [{}])
    await store.put("d", {})
    for key, expected in (("a", 100), ("b", 100), ("c", 30), ("d", 30)):
        remaining = await _remaining(inner, key)
        assert remaining is not None
        assert expected - 1 < remaining <= expected


@pytest.mark.anyio
async def test_missing_ttl_is_clamped_too() -> None:
    store = TTLClampWrapper(kv.connect("memory://"), min_ttl=1, max_ttl=100, missing_ttl=1000)
    assert store.missing_ttl == 100


@pytest.mark.anyio
@pytest.mark.parametrize("ttl", [0, -1, True, float("nan"), float("inf")])
async def test_invalid_ttls_still_raise(ttl: Any) -> None:
    store = TTLClampWrapper(kv.connect("memory://"), min_ttl=1, max_ttl=100)
    with pytest.raises(kv.InvalidTTLError) as caught:
        await store.put("k", {}, collection="c", ttl=ttl)
    assert caught.value.key == "k"
    assert caught.value.collection == "c"
    with pytest.raises(kv.InvalidTTLError):
        await store.put_many(["k"], [{}], ttl=ttl)
    assert await store.get("k") is None


@pytest.mark.parametrize(
    ("low", "high", "missing"),
    [(-1, 10, None), (10, 1, None), (0, 0, None), ("1", 10, None), (0, 10, 0), (True, 10, None)],
)
def test_bad_limits_are_refused(low: Any, high: Any, missing: Any) -> None:
    with pytest.raises(kv.InvalidOptionError):
        TTLClampWrapper(kv.connect("memory://"), min_ttl=low, max_ttl=high, missing_ttl=missing)


def test_limits_are_floats() -> None:
    store = TTLClampWrapper(kv.connect("memory://"), min_ttl=1, max_ttl=10, missing_ttl=5)
    assert (store.min_ttl, store.max_ttl, store.missing_ttl) == (1.0, 10.0, 5.0)
