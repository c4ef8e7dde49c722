"""RetryWrapper: the suite, retry counts, backoff, jitter, and what is never retried."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, SupportsFloat

import anyio
import pytest

import kv
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance
from kv_wrappers import BaseWrapper, RetryWrapper


class FlakyStore(BaseWrapper):
    """A memory store whose calls first raise ``error`` ``failures`` times each.

    With ``every_call=True`` each call (operation, keys and collection, in
    the calling task: the retries of one call run in its task, concurrent
    identical calls in others) fails ``failures`` times in a row before it
    works; otherwise the store fails its first ``failures`` calls in all.
    Failing tries raise before touching data.
    """

    def __init__(
        self,
        failures: int,
        error: Exception | None = None,
        *,
        every_call: bool = False,
        default_collection: str | None = None,
    ) -> None:
        super().__init__(kv.connect("memory://", default_collection=default_collection))
        self.failures = failures
        self.error = error or kv.StoreConnectionError("the server went away", store="flaky")
        self.every_call = every_call
        self.attempts = 0
        self._failed: dict[object, int] = {}

    def _maybe_fail(self, *call: object) -> None:
        self.attempts += 1
        signature = (anyio.get_current_task().id, repr(call)) if self.every_call else None
        failed = self._failed.get(signature, 0)
        if failed < self.failures:
            self._failed[signature] = failed + 1
            raise self.error
        if self.every_call:
            del self._failed[signature]

    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        self._maybe_fail("get", key, collection)
        return await super().get(key, collection=collection)

    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        self._maybe_fail("ttl", key, collection)
        return await super().ttl(key, collection=collection)

    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        self._maybe_fail("put", key, collection)
        await super().put(key, value, collection=collection, ttl=ttl)

    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        self._maybe_fail("delete", key, collection)
        return await super().delete(key, collection=collection)

    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        self._maybe_fail("get_many", tuple(keys), collection)
        return await super().get_many(keys, collection=collection)

    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        self._maybe_fail("ttl_many", tuple(keys), collection)
        return await super().ttl_many(keys, collection=collection)

    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        self._maybe_fail("put_many", tuple(keys), collection)
        await super().put_many(keys, values, collection=collection, ttl=ttl)

    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        self._maybe_fail("delete_many", tuple(keys), collection)
        return await super().delete_many(keys, collection=collection)


class Sleeps:
    """Records the delays instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class TestRetryOverMemory(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = RetryWrapper(kv.connect("memory://", default_collection=default_collection))
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner: Any = store
        while not isinstance(inner, MemoryStore):
            inner = inner.key_value
        inner._collections[collection][key] = '{"not": "closed'
        return True


class TestRetryOverAStoreThatFailsEveryCallTwice(StoreConformance):
    """Every call of the wrapped store fails twice first; the suite never notices."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        flaky = FlakyStore(2, every_call=True, default_collection=default_collection)
        wrapper = RetryWrapper(flaky, max_retries=2, initial_delay=0)
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner: Any = store
        while not isinstance(inner, MemoryStore):
            inner = inner.key_value
        inner._collections[collection][key] = '{"not": "closed'
        return True


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.anyio
async def test_retries_until_it_works_with_exponential_backoff() -> None:
    flaky = FlakyStore(2)
    sleeps = Sleeps()
    store = RetryWrapper(flaky, max_retries=3, initial_delay=0.1, jitter=0, sleep=sleeps)
    await store.put("k", {"v": 1})
    assert flaky.attempts == 3
    assert sleeps.delays == pytest.approx([0.1, 0.2])
    assert await store.get("k") == {"v": 1}
    assert flaky.attempts == 4  # no failure left: one try, no sleep
    assert len(sleeps.delays) == 2


@pytest.mark.anyio
async def test_gives_up_after_max_retries_and_raises_the_last_error() -> None:
    flaky = FlakyStore(100)
    sleeps = Sleeps()
    store = RetryWrapper(flaky, max_retries=3, initial_delay=0.1, jitter=0, sleep=sleeps)
    with pytest.raises(kv.StoreConnectionError, match="the server went away"):
        await store.get("k")
    assert flaky.attempts == 4
    assert sleeps.delays == pytest.approx([0.1, 0.2, 0.4])


@pytest.mark.anyio
async def test_delay_is_capped_by_max_delay() -> None:
    sleeps = Sleeps()
    store = RetryWrapper(
        FlakyStore(100),
        max_retries=4,
        initial_delay=1,
        max_delay=5,
        exponential_base=10,
        jitter=0,
        sleep=sleeps,
    )
    with pytest.raises(kv.StoreConnectionError):
        await store.delete_many(["a"])
    assert sleeps.delays == pytest.approx([1, 5, 5, 5])


@pytest.mark.anyio
async def test_jitter_shortens_each_delay_randomly() -> None:
    sleeps = Sleeps()
    store = RetryWrapper(
        FlakyStore(100),
        max_retries=20,
        initial_delay=1,
        exponential_base=1,
        jitter=0.5,
        sleep=sleeps,
    )
    with pytest.raises(kv.StoreConnectionError):
        await store.get("k")
    assert len(sleeps.delays) == 20
    assert all(0.5 <= delay <= 1 for delay in sleeps.delays)
    assert len(set(sleeps.delays)) > 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "error",
    [
        kv.StoreTimeoutError("slow"),
        TimeoutError("slow"),
        ConnectionResetError("reset"),
    ],
    ids=["kv-timeout", "timeout", "connection-reset"],
)
async def test_timeouts_and_connection_errors_are_retried(error: Exception) -> None:
    flaky = FlakyStore(1, error)
    store = RetryWrapper(flaky, sleep=Sleeps())
    assert await store.get_many(["a"]) == [None]
    assert flaky.attempts == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    "error",
    [
        kv.SerializationError("bad value"),
        kv.ReadOnlyError(),
        kv.StoreError("disk full"),
        ValueError("no"),
        KeyError("k"),
    ],
    ids=["serialization", "read-only", "store-error", "value-error", "key-error"],
)
async def test_other_errors_are_never_retried(error: Exception) -> None:
    flaky = FlakyStore(1, error)
    sleeps = Sleeps()
    store = RetryWrapper(flaky, sleep=sleeps)
    with pytest.raises(type(error)):
        await store.put("k", {})
    assert flaky.attempts == 1
    assert sleeps.delays == []


@pytest.mark.anyio
async def test_bad_input_is_not_retried() -> None:
    flaky = FlakyStore(0)
    store = RetryWrapper(flaky, sleep=Sleeps())
    with pytest.raises(kv.SerializationError):
        await store.put("k", {"bad": {1}})
    assert flaky.attempts == 1


@pytest.mark.anyio
async def test_custom_retry_on() -> None:
    flaky = FlakyStore(1, KeyError("k"))
    store = RetryWrapper(flaky, retry_on=(KeyError,), sleep=Sleeps())
    assert await store.ttl("k") == (None, None)
    assert flaky.attempts == 2
    connection = FlakyStore(1)
    only_keys = RetryWrapper(connection, retry_on=(KeyError,), sleep=Sleeps())
    with pytest.raises(kv.StoreConnectionError):
        await only_keys.get("k")
    assert connection.attempts == 1


@pytest.mark.anyio
async def test_no_retries() -> None:
    flaky = FlakyStore(1)
    store = RetryWrapper(flaky, max_retries=0, sleep=Sleeps())
    with pytest.raises(kv.StoreConnectionError):
        await store.get("k")
    assert flaky.attempts == 1


@pytest.mark.anyio
async def test_really_sleeps_under_each_runtime() -> None:
    flaky = FlakyStore(2)
    store = RetryWrapper(flaky, max_retries=2, initial_delay=0.05, jitter=0)
    started = time.monotonic()
    await store.put("k", {"v": 1})
    assert time.monotonic() - started >= 0.05 + 0.1 - 0.01
    assert flaky.attempts == 3


@pytest.mark.anyio
async def test_cancellation_during_backoff_is_not_retried() -> None:
    flaky = FlakyStore(100)
    store = RetryWrapper(flaky, max_retries=10, initial_delay=10, jitter=0)
    with anyio.move_on_after(0.1) as scope:
        await store.get("k")
    assert scope.cancelled_caught
    assert flaky.attempts == 1


@pytest.mark.anyio
async def test_concurrent_calls_retry_independently() -> None:
    flaky = FlakyStore(2, every_call=False)
    store = RetryWrapper(flaky, max_retries=3, initial_delay=0.01, jitter=0)
    results: list[Any] = []

    async def reader(key: str) -> None:
        results.append(await store.get(key))

    async with anyio.create_task_group() as group:
        for i in range(5):
            group.start_soon(reader, f"k{i}")
    assert results == [None] * 5


@pytest.mark.parametrize(
    "options",
    [
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"initial_delay": -1},
        {"max_delay": float("inf")},
        {"exponential_base": 0.5},
        {"jitter": 2},
        {"retry_on": ()},
        {"retry_on": ("ConnectionError",)},
        {"retry_on": (KeyboardInterrupt,)},
    ],
)
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(kv.InvalidOptionError):
        RetryWrapper(kv.connect("memory://"), **options)


@pytest.mark.anyio
async def test_retry_over_timeout_retries_a_call_that_hangs_once() -> None:
    from kv_wrappers import TimeoutWrapper

    class HangsOnce(BaseWrapper):
        def __init__(self) -> None:
            super().__init__(kv.connect("memory://"))
            self.calls = 0

        async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
            self.calls += 1
            if self.calls == 1:
                await anyio.sleep(60)
            return await super().get(key, collection=collection)

    hangs = HangsOnce()
    store = RetryWrapper(TimeoutWrapper(hangs, timeout=0.1), initial_delay=0, jitter=0)
    started = time.monotonic()
    assert await store.get("k") is None
    assert hangs.calls == 2
    assert time.monotonic() - started < 5
