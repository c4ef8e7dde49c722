"""The short paths of calls a wrapper does not change behave exactly like the long ones.

Each wrapper passes the calls it leaves alone straight on (see
``benchmarks/bench_wrappers.py`` for what that saves); these tests prove the
values, TTLs and errors (naming key, collection and store) are the same as
through the general path: a small value's size is bounded without encoding
it, a call that finishes without waiting needs no cancel scope, a happy call
builds no retry closure, a TTL within bounds is passed on as it is, and a
protocol call passed on unchanged lets the wrapped store check its arguments.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from typing import Any, SupportsFloat

import anyio
import pytest

import kv
from kv._typecheck import typecheck_enabled
from kv.errors import ArgumentTypeError, DecryptionError
from kv.values import MAX_VALUE_DEPTH, dump_value
from kv_wrappers import (
    BaseWrapper,
    CollectionRoutingWrapper,
    CompressionWrapper,
    DefaultValueWrapper,
    FallbackWrapper,
    LimitSizeWrapper,
    LoggingWrapper,
    ReadOnlyWrapper,
    RetryWrapper,
    RoutingWrapper,
    StatisticsWrapper,
    TimeoutWrapper,
    TTLClampWrapper,
)
from kv_wrappers._size import surely_shorter
from kv_wrappers.compression import COMPRESSED_DATA_KEY
from kv_wrappers.transform import ValueTransformWrapper

pytestmark = pytest.mark.anyio

checks_on = pytest.mark.skipif(
    not typecheck_enabled(), reason="kv's runtime type checks are off (KV_TYPECHECK=0)"
)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- the size bound -------------------------------------------------------------------

VALID_VALUES: list[dict[str, Any]] = [
    {},
    {"name": "Alice", "n": 1},
    {"k": ""},
    {"quote": '"' * 40, "backslash": "\\" * 40},
    {"control": "\x01\x02\n\t" * 20},
    {"accents": "é" * 30, "astral": "😀" * 30, "mixed": "a😀é\u2028" * 9},
    {"ints": [0, -1, 10**18, -(10**18), 10**19 - 1, -(10**19) + 1]},
    {"floats": [0.0, -0.0, 1e308, -2.2250738585072014e-308, 1 / 3, 5e-324]},
    {"flags": [True, False, None], "t": (1, "two", [3.0])},
    {"nested": {"a": {"b": {"c": [{"d": "e" * 50}]}}}},
    {"long key " * 20: "long value " * 30},
    {f"k{i}": i for i in range(60)},
]


@pytest.mark.parametrize("value", VALID_VALUES)
def test_size_bound_never_says_shorter_when_it_is_not(value: dict[str, Any]) -> None:
    size = len(dump_value(value))
    limits = {0, 1, size - 1, size, size + 1, 2 * size, 12 * size + 64, 10**6}
    for limit in sorted(limit for limit in limits if limit >= 0):
        if surely_shorter(value, limit):
            assert size < limit, (value, limit)
    assert surely_shorter(value, 12 * size + 64 * 40), "a generous limit is surely enough"


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"d": value}
    return value


def _cycle() -> dict[str, Any]:
    value: dict[str, Any] = {"a": []}
    value["a"].append(value)
    return value


class MyStr(str):
    pass


class MyInt(int):
    pass


@pytest.mark.parametrize(
    "value",
    [
        {1: "a"},
        {"nan": math.nan},
        {"inf": [math.inf]},
        {"set": {1}},
        {"bytes": b"x"},
        {"big": 10**19},
        {"sub": MyStr("x")},
        {"sub": MyInt(1)},
        {MyStr("k"): 1},
        _cycle(),
        _deep(MAX_VALUE_DEPTH + 1),
        ["not", "a", "dict"],
        None,
    ],
)
def test_size_bound_says_nothing_of_values_it_does_not_know(value: Any) -> None:
    assert not surely_shorter(value, 10**9)


def test_size_bound_accepts_the_deepest_value_allowed() -> None:
    assert surely_shorter(_deep(MAX_VALUE_DEPTH), 10**6)


# --- compression and size limits: small values pass untouched ---------------------------


async def test_a_small_value_is_stored_as_it_is_with_its_ttl() -> None:
    inner = kv.connect("memory://")
    store = CompressionWrapper(inner, min_size_to_compress=1024)
    value = {"name": "Alice", "tags": ["a", "b"], "n": 1.5}
    await store.put("k", value, collection="c", ttl=60)
    stored, ttl = await inner.ttl("k", collection="c")
    assert stored == value
    assert ttl is not None
    assert 0 < ttl <= 60
    through, remaining = await store.ttl("k", collection="c")
    assert through == value
    assert remaining == pytest.approx(ttl, abs=1)
    await store.put_many(["a", "b"], [value, {"x": 1}], collection="c")
    assert await inner.get_many(["a", "b"], collection="c") == [value, {"x": 1}]


@pytest.mark.parametrize("text", ["a" * 50, "é" * 50, "\x01" * 50, '"' * 50])
async def test_compression_threshold_is_exact_around_the_bound(text: str) -> None:
    value = {"v": text}
    size = len(dump_value(value))
    for threshold, compressed in ((size, True), (size + 1, False), (size - 1, True)):
        inner = kv.connect("memory://")
        store = CompressionWrapper(inner, min_size_to_compress=threshold)
        await store.put("k", value)
        assert (COMPRESSED_DATA_KEY in (await inner.get("k") or {})) is compressed, threshold
        assert await store.get("k") == value


async def test_a_small_value_with_the_envelope_field_is_still_compressed() -> None:
    inner = kv.connect("memory://")
    store = CompressionWrapper(inner)
    await store.put("k", {COMPRESSED_DATA_KEY: "not mine"})
    assert (await inner.get("k") or {}).keys() != {COMPRESSED_DATA_KEY}
    assert await store.get("k") == {COMPRESSED_DATA_KEY: "not mine"}


@pytest.mark.parametrize("wrap", [CompressionWrapper, LimitSizeWrapper])
@pytest.mark.parametrize("bad", [{1: "a"}, {"nan": math.nan}, {"x": {1, 2}}])
async def test_a_small_bad_value_is_refused_by_the_wrapper_as_before(
    wrap: Callable[[kv.AsyncKeyValue], kv.AsyncKeyValue], bad: dict[Any, Any]
) -> None:
    store = wrap(kv.connect("memory://"))
    with pytest.raises((kv.SerializationError, ArgumentTypeError)) as caught:
        await store.put("k", bad, collection="c")
    assert (caught.value.key, caught.value.collection) == ("k", "c")
    assert caught.value.store == type(store).__name__
    assert await store.get("k", collection="c") is None


async def test_size_limit_is_exact_around_the_bound() -> None:
    value = {"v": "x" * 100}
    size = len(dump_value(value))
    inner = kv.connect("memory://")
    await LimitSizeWrapper(inner, max_size=size).put("k", value)
    assert await inner.get("k") == value
    with pytest.raises(kv.EntryTooLargeError) as caught:
        await LimitSizeWrapper(inner, max_size=size - 1).put("big", value, collection="c")
    assert (caught.value.key, caught.value.collection) == ("big", "c")
    dropped = LimitSizeWrapper(inner, min_size=size + 1, max_size=10 * size)
    await dropped.put("small", value)  # below min_size: silently not written
    assert await inner.get("small") is None
    await LimitSizeWrapper(inner).put("no-limit", value)
    assert await inner.get("no-limit") == value


# --- timeout: calls that finish without waiting, and calls that wait ------------------------


class Scripted(BaseWrapper):
    """A memory store whose ``get`` runs ``script`` first (nothing else changes)."""

    def __init__(self, script: Callable[[], Awaitable[None]]) -> None:
        super().__init__(kv.connect("memory://"))
        self.script = script

    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        await self.script()
        return await super().get(key, collection=collection)


async def test_calls_that_do_not_wait_give_what_the_store_gives() -> None:
    inner = kv.connect("memory://")
    store = TimeoutWrapper(inner, timeout=5)
    await store.put("k", {"v": 1}, collection="c", ttl=60)
    await store.put_many(["a", "b"], [{"v": 2}, {"v": 3}], collection="c")
    assert await store.get("k", collection="c") == {"v": 1}
    value, ttl = await store.ttl("k", collection="c")
    assert value == {"v": 1}
    assert ttl is not None
    assert 0 < ttl <= 60
    assert await store.get_many(["a", "b", "z"], collection="c") == [{"v": 2}, {"v": 3}, None]
    assert [v for v, _ in await store.ttl_many(["a", "z"], collection="c")] == [{"v": 2}, None]
    assert await store.delete("a", collection="c") is True
    assert await store.delete_many(["b", "z"], collection="c") == 1
    with pytest.raises(kv.InvalidKeyError) as caught:
        await store.get("", collection="c")
    assert caught.value.collection == "c"


async def test_time_spent_before_the_first_wait_counts_against_the_deadline() -> None:
    async def busy_then_wait() -> None:
        time.sleep(0.3)  # the point: a first step that does not yield
        await anyio.sleep(10)

    store = TimeoutWrapper(Scripted(busy_then_wait), timeout=0.2)
    started = time.monotonic()
    with pytest.raises(kv.StoreTimeoutError) as caught:
        await store.get("k", collection="c")
    assert time.monotonic() - started < 5
    assert "gave up after" in str(caught.value)
    assert (caught.value.key, caught.value.collection) == ("k", "c")


async def test_a_call_waiting_inside_its_own_cancel_scope_times_out() -> None:
    exited = []

    async def wait_in_a_scope() -> None:
        try:
            with anyio.CancelScope():
                await anyio.sleep(10)
        finally:
            exited.append(True)

    store = TimeoutWrapper(Scripted(wait_in_a_scope), timeout=0.1)
    with pytest.raises(kv.StoreTimeoutError):
        await store.get("k")
    assert exited == [True]
    await anyio.sleep(0)  # the event loop is in a sane state afterwards
    assert await TimeoutWrapper(kv.connect("memory://"), timeout=1).get("k") is None


async def test_a_call_with_its_own_shorter_deadline_is_not_a_timeout() -> None:
    async def own_deadline() -> None:
        with anyio.move_on_after(0.01):
            await anyio.sleep(10)

    inner = Scripted(own_deadline)
    await inner.key_value.put("k", {"v": 1})
    assert await TimeoutWrapper(inner, timeout=5).get("k") == {"v": 1}


async def test_an_error_after_waiting_passes_unchanged() -> None:
    async def wait_then_fail() -> None:
        await anyio.sleep(0.01)
        raise kv.StoreConnectionError("gone", store="inner")

    store = TimeoutWrapper(Scripted(wait_then_fail), timeout=5)
    with pytest.raises(kv.StoreConnectionError, match="gone"):
        await store.get("k")


class Awaiting:
    """An awaitable that is not a coroutine: waits ``delay`` seconds, then gives ``value``."""

    def __init__(self, delay: float, value: Any) -> None:
        self.delay, self.value = delay, value

    def __await__(self) -> Generator[Any, None, Any]:
        yield from anyio.sleep(self.delay).__await__()
        return self.value


class PlainAwaitables(BaseWrapper):
    def get(self, key: str, *, collection: str | None = None) -> Any:
        return Awaiting(self.delay, {"v": key})

    delay = 0.0


async def test_awaitables_that_are_not_coroutines_are_limited_too() -> None:
    inner = PlainAwaitables(kv.connect("memory://"))
    store = TimeoutWrapper(inner, timeout=0.1)
    assert await store.get("k") == {"v": "k"}
    inner.delay = 10
    with pytest.raises(kv.StoreTimeoutError):
        await store.get("k")


# --- retry, fallback, logging, statistics: the happy path, and the other one ---------------

CALLS: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "get": lambda s: s.get("a", collection="c"),
    "ttl": lambda s: s.ttl("a", collection="c"),
    "put": lambda s: s.put("p", {"v": 9}, collection="c", ttl=60),
    "delete": lambda s: s.delete("b", collection="c"),
    "get_many": lambda s: s.get_many(["a", "z"], collection="c"),
    "ttl_many": lambda s: s.ttl_many(["a", "z"], collection="c"),
    "put_many": lambda s: s.put_many(["p", "q"], [{"v": 9}, {"v": 8}], collection="c"),
    "delete_many": lambda s: s.delete_many(["a", "b", "z"], collection="c"),
}


class FailsOnce(BaseWrapper):
    """A memory store whose next call raises ``error`` once (before touching data)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(kv.connect("memory://"))
        self.error: Exception | None = error
        self.tries = 0

    def _maybe_fail(self) -> None:
        self.tries += 1
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    async def get(self, key: str, *, collection: str | None = None) -> Any:
        self._maybe_fail()
        return await super().get(key, collection=collection)

    async def ttl(self, key: str, *, collection: str | None = None) -> Any:
        self._maybe_fail()
        return await super().ttl(key, collection=collection)

    async def put(self, key: str, value: Mapping[str, Any], **options: Any) -> None:
        self._maybe_fail()
        await super().put(key, value, **options)

    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        self._maybe_fail()
        return await super().delete(key, collection=collection)

    async def get_many(self, keys: Sequence[str], *, collection: str | None = None) -> Any:
        self._maybe_fail()
        return await super().get_many(keys, collection=collection)

    async def ttl_many(self, keys: Sequence[str], *, collection: str | None = None) -> Any:
        self._maybe_fail()
        return await super().ttl_many(keys, collection=collection)

    async def put_many(self, keys: Sequence[str], values: Any, **options: Any) -> None:
        self._maybe_fail()
        await super().put_many(keys, values, **options)

    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        self._maybe_fail()
        return await super().delete_many(keys, collection=collection)


async def _filled(store: kv.AsyncKeyValue) -> kv.AsyncKeyValue:
    await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="c", ttl=600)
    return store


def _comparable(result: Any) -> Any:
    """A call's result with remaining TTLs rounded (they tick between two calls)."""
    if isinstance(result, tuple):
        return (result[0], None if result[1] is None else round(result[1]))
    if isinstance(result, list):
        return [_comparable(item) for item in result]
    return result


@pytest.mark.parametrize("call", list(CALLS))
async def test_retry_gives_the_store_s_answer_first_time_or_after_a_retry(call: str) -> None:
    expected = _comparable(await CALLS[call](await _filled(kv.connect("memory://"))))
    flaky = FailsOnce(kv.StoreConnectionError("gone", store="flaky"))
    await _filled(flaky.key_value)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    store = RetryWrapper(flaky, initial_delay=0.5, jitter=0, sleep=sleep)
    assert _comparable(await CALLS[call](store)) == expected
    assert (flaky.tries, sleeps) == (2, [0.5])
    assert _comparable(await CALLS[call](store)) == _comparable(await CALLS[call](flaky))
    assert flaky.tries == 4  # no failure, no retry


@pytest.mark.parametrize("call", list(CALLS))
async def test_retry_raises_what_it_does_not_retry_at_once(call: str) -> None:
    flaky = FailsOnce(kv.InvalidKeyError("bad", key="a", collection="c", store="flaky"))
    store = RetryWrapper(flaky)
    with pytest.raises(kv.InvalidKeyError) as caught:
        await CALLS[call](store)
    assert (caught.value.key, caught.value.collection, caught.value.store) == ("a", "c", "flaky")
    assert flaky.tries == 1


@pytest.mark.parametrize("call", list(CALLS))
async def test_fallback_answers_from_the_primary_or_else_the_fallback(call: str) -> None:
    expected = _comparable(await CALLS[call](await _filled(kv.connect("memory://"))))
    primary = FailsOnce(kv.StoreConnectionError("gone", store="primary"))
    await _filled(primary.key_value)
    fallback = await _filled(kv.connect("memory://"))
    store = FallbackWrapper(primary, fallback, write_to_fallback=True)
    assert _comparable(await CALLS[call](store)) == expected  # from the fallback
    assert _comparable(await CALLS[call](store)) == expected  # the primary, untouched so far
    reads_only = FallbackWrapper(FailsOnce(kv.StoreConnectionError("gone")), fallback)
    if call.startswith(("put", "delete")):
        with pytest.raises(kv.StoreConnectionError):
            await CALLS[call](reads_only)
    else:
        assert _comparable(await CALLS[call](reads_only)) == expected


async def test_fallback_error_is_chained_to_the_primary_s() -> None:
    primary = FailsOnce(kv.StoreConnectionError("primary gone"))
    broken = FailsOnce(kv.StoreTimeoutError("fallback gone"))
    with pytest.raises(kv.StoreTimeoutError) as caught:
        await FallbackWrapper(primary, broken).get("k")
    assert isinstance(caught.value.__context__, kv.StoreConnectionError)


@pytest.mark.parametrize("call", list(CALLS))
async def test_disabled_logging_gives_the_store_s_answer_and_logs_nothing(
    call: str, caplog: pytest.LogCaptureFixture
) -> None:
    expected = _comparable(await CALLS[call](await _filled(kv.connect("memory://"))))
    store = LoggingWrapper(await _filled(kv.connect("memory://")), log_level=5)
    with caplog.at_level(10, logger="kv.wrappers.logging"):  # DEBUG: level 5 stays off
        assert _comparable(await CALLS[call](store)) == expected
    assert caplog.records == []
    with caplog.at_level(5, logger="kv.wrappers.logging"):
        await CALLS[call](store)
    assert [r.getMessage().split()[0] for r in caplog.records] == ["Start", "Finish"]


async def test_statistics_count_every_single_call() -> None:
    store = StatisticsWrapper(await _filled(kv.connect("memory://")))
    for call in ("get", "ttl", "put", "delete"):
        await CALLS[call](store)
    await store.get("z")
    await store.delete("z", collection="c")
    stats = store.statistics.get_collection("c")
    assert (stats.get.count, stats.get.hit, stats.get.miss) == (1, 1, 0)
    assert (stats.ttl.count, stats.ttl.hit, stats.ttl.miss) == (1, 1, 0)
    assert stats.put.count == 1
    assert (stats.delete.count, stats.delete.hit, stats.delete.miss) == (2, 1, 1)
    assert stats.count == 5
    default = store.statistics.get_collection("default_collection")
    assert (default.count, default.get.miss) == (1, 1)


async def test_default_value_answers_present_and_missing_keys() -> None:
    store = DefaultValueWrapper(await _filled(kv.connect("memory://")), {"d": 1}, default_ttl=5)
    assert await store.get("a", collection="c") == {"v": 1}
    value, ttl = await store.ttl("a", collection="c")
    assert value == {"v": 1}
    assert ttl is not None
    assert 590 < ttl <= 600
    assert await store.get("z", collection="c") == {"d": 1}
    assert await store.ttl("z", collection="c") == ({"d": 1}, 5)


# --- TTL clamp: a TTL within bounds is passed on as it is ---------------------------------


@pytest.mark.parametrize("ttl", [1, 60, 60.5, 100, 100.0])
async def test_a_ttl_within_bounds_is_kept(ttl: SupportsFloat) -> None:
    inner = kv.connect("memory://")
    store = TTLClampWrapper(inner, min_ttl=1, max_ttl=100)
    await store.put("k", {}, collection="c", ttl=ttl)
    await store.put_many(["m"], [{}], collection="c", ttl=ttl)
    for key in ("k", "m"):
        _, remaining = await inner.ttl(key, collection="c")
        assert remaining is not None
        assert float(ttl) - 5 < remaining <= float(ttl)


@pytest.mark.parametrize(("ttl", "kept"), [(0.5, 1), (1000, 100), (None, 50)])
async def test_a_ttl_out_of_bounds_or_missing_is_clamped(ttl: Any, kept: float) -> None:
    inner = kv.connect("memory://")
    await TTLClampWrapper(inner, min_ttl=1, max_ttl=100, missing_ttl=50).put("k", {}, ttl=ttl)
    _, remaining = await inner.ttl("k")
    assert remaining is not None
    assert kept - 5 < remaining <= kept


@pytest.mark.parametrize("ttl", [0, -1, True, math.nan, math.inf, "60"])
async def test_a_ttl_the_rule_refuses_still_names_key_and_collection(ttl: Any) -> None:
    store = TTLClampWrapper(kv.connect("memory://"), min_ttl=0, max_ttl=100)
    with pytest.raises((kv.InvalidTTLError, ArgumentTypeError)) as caught:
        await store.put("k", {}, collection="c", ttl=ttl)
    assert (caught.value.key, caught.value.collection) == ("k", "c")


# --- calls passed on unchanged: the wrapped store checks the arguments ---------------------

BAD_CALLS: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "get, unhashable collection": lambda s: s.get("k", collection=["c"]),
    "get": lambda s: s.get(1, collection="c"),
    "ttl": lambda s: s.ttl("k", collection=2),
    "put": lambda s: s.put("k", [1], collection="c"),
    "delete": lambda s: s.delete(None, collection="c"),
    "get_many": lambda s: s.get_many("k", collection="c"),
    "ttl_many": lambda s: s.ttl_many([1], collection="c"),
    "put_many": lambda s: s.put_many(["k"], {"v": 1}, collection="c"),
    "delete_many": lambda s: s.delete_many("k", collection="c"),
}


def _wrappers(memory: kv.AsyncKeyValue) -> list[BaseWrapper]:
    return [
        BaseWrapper(memory),
        BaseWrapper(BaseWrapper(memory)),
        ValueTransformWrapper(memory),
        TTLClampWrapper(memory, min_ttl=1, max_ttl=10),
        CompressionWrapper(memory),
        DefaultValueWrapper(memory, {}),
        ReadOnlyWrapper(memory),
        RetryWrapper(memory),
        FallbackWrapper(memory, kv.connect("memory://")),
        StatisticsWrapper(memory),
        TimeoutWrapper(memory, timeout=5),
        CollectionRoutingWrapper({"c": memory, "d": kv.connect("memory://")}, memory),
        RoutingWrapper(lambda name: None, memory),
        RetryWrapper(StatisticsWrapper(FallbackWrapper(memory, memory))),
        TimeoutWrapper(CompressionWrapper(TimeoutWrapper(memory, timeout=5)), timeout=5),
    ]


@checks_on
@pytest.mark.parametrize("call", list(BAD_CALLS))
async def test_a_bad_argument_names_the_wrapper_as_its_own_check_did(call: str) -> None:
    memory = kv.connect("memory://")
    for store in _wrappers(memory):
        with pytest.raises(ArgumentTypeError) as caught:
            await BAD_CALLS[call](store)
        error = caught.value
        assert error.store == type(store).__name__, (call, store)
        assert f"{call.split(',')[0]}() parameter" in error.message
        assert error.collection in (None, "c")
        assert await memory.get("k", collection="c") is None  # nothing was written


class Recording(BaseWrapper):
    """A wrapper written outside kv-wrappers: its ``get`` runs code before any check."""

    calls = 0

    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        self.calls += 1
        return await super().get(key, collection=collection)


@checks_on
@pytest.mark.parametrize("wrap", [BaseWrapper, RetryWrapper, StatisticsWrapper])
async def test_over_a_wrapper_written_elsewhere_the_wrapper_checks_first(
    wrap: Callable[[kv.AsyncKeyValue], kv.AsyncKeyValue],
) -> None:
    recording = Recording(kv.connect("memory://"))
    store = wrap(recording)
    with pytest.raises(ArgumentTypeError) as caught:
        await store.get(1)  # type: ignore[arg-type]
    assert caught.value.store == type(store).__name__
    assert recording.calls == 0
    assert await store.get("k") is None
    assert recording.calls == 1


class Plain:
    """A store outside kv (no runtime checks of its own), recording what it is given."""

    def __init__(self) -> None:
        self.given: list[object] = []

    async def get(self, key: Any, *, collection: Any = None) -> dict[str, Any] | None:
        self.given.append(key)
        return None


@checks_on
async def test_over_a_store_that_does_not_check_the_wrapper_still_does() -> None:
    plain = Plain()
    store = BaseWrapper(plain)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError) as caught:
        await store.get(1)  # type: ignore[arg-type]
    assert caught.value.store == "BaseWrapper"
    assert plain.given == []
    assert await store.get("k") is None
    assert plain.given == ["k"]


# --- value transforms: stored values that are not envelopes are read as they are -----------


async def test_plain_and_compressed_values_read_alike_in_every_read() -> None:
    inner = kv.connect("memory://")
    store = CompressionWrapper(inner, min_size_to_compress=64)
    big = {"v": "x" * 200}
    await inner.put("plain", {"v": 1}, collection="c", ttl=600)
    await store.put("big", big, collection="c", ttl=600)
    assert COMPRESSED_DATA_KEY in (await inner.get("big", collection="c") or {})
    assert await store.get("plain", collection="c") == {"v": 1}
    assert await store.get_many(["plain", "big", "z"], collection="c") == [{"v": 1}, big, None]
    results = await store.ttl_many(["plain", "big", "z"], collection="c")
    assert [value for value, _ in results] == [{"v": 1}, big, None]
    assert (await store.ttl("plain", collection="c"))[0] == {"v": 1}
    await inner.put("bad", {COMPRESSED_DATA_KEY: "not base64 gzip"}, collection="c")
    with pytest.raises(kv.DeserializationError) as caught:
        await store.get("bad", collection="c")
    assert (caught.value.key, caught.value.collection) == ("bad", "c")
    assert caught.value.store == "CompressionWrapper"


async def test_encryption_reads_plain_values_as_they_are_unless_required() -> None:
    from cryptography.fernet import Fernet

    from kv_wrappers import FernetEncryptionWrapper

    inner = kv.connect("memory://")
    fernet = Fernet(Fernet.generate_key())
    await inner.put("plain", {"v": 1}, collection="c")
    lenient = FernetEncryptionWrapper(inner, fernet=fernet)
    assert await lenient.get("plain", collection="c") == {"v": 1}
    assert await lenient.get_many(["plain"], collection="c") == [{"v": 1}]
    strict = FernetEncryptionWrapper(inner, fernet=fernet, require_encryption=True)
    for read in (
        lambda: strict.get("plain", collection="c"),
        lambda: strict.ttl("plain", collection="c"),
        lambda: strict.get_many(["plain"], collection="c"),
    ):
        with pytest.raises(DecryptionError) as caught:
            await read()
        assert (caught.value.key, caught.value.collection) == ("plain", "c")
    quiet = FernetEncryptionWrapper(
        inner, fernet=fernet, require_encryption=True, raise_on_decryption_error=False
    )
    assert await quiet.get("plain", collection="c") is None
    assert await quiet.ttl("plain", collection="c") == (None, None)


@pytest.mark.parametrize(("inner_timeout", "outer_timeout"), [(0.05, 5.0), (5.0, 0.05)])
async def test_stacked_timeouts_each_keep_their_deadline(
    inner_timeout: float, outer_timeout: float
) -> None:
    async def hang() -> None:
        await anyio.sleep(10)

    slow = Scripted(hang)
    store = TimeoutWrapper(TimeoutWrapper(slow, timeout=inner_timeout), timeout=outer_timeout)
    started = time.monotonic()
    with pytest.raises(kv.StoreTimeoutError) as caught:
        await store.get("k", collection="c")
    assert time.monotonic() - started < 5
    assert f"within {min(inner_timeout, outer_timeout):g} seconds" in str(caught.value)
    await slow.key_value.put("k", {"v": 1}, collection="c")
    fast = TimeoutWrapper(TimeoutWrapper(slow.key_value, timeout=inner_timeout), timeout=1)
    assert await fast.get("k", collection="c") == {"v": 1}
