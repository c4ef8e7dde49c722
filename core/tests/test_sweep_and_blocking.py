"""Expired entries are reclaimed while a store is in use; blocking calls run in threads."""

from __future__ import annotations

import threading
import time
import weakref

import anyio
import pytest

import kv
from kv.blocking import BlockingCalls
from kv.stores.memory import MemoryStore

pytestmark = pytest.mark.anyio


def stored(store: MemoryStore) -> int:
    return sum(len(table) for table in store._collections.values())


async def test_writes_sweep_expired_entries_in_bounded_steps() -> None:
    store = kv.connect("memory://?sweep_interval=0.1&sweep_limit=30")
    assert isinstance(store, MemoryStore)
    await store.put_many([f"k{i}" for i in range(100)], [{}] * 100, ttl=0.05)
    await anyio.sleep(0.2)
    await store.put("trigger", {})
    assert stored(store) == 100 + 1 - 30, "one sweep removes at most sweep_limit entries"
    await store.put("trigger", {})
    assert stored(store) == 71, "no second sweep before the interval"
    for _ in range(3):
        await anyio.sleep(0.12)
        await store.put("trigger", {})
    assert stored(store) == 1


async def test_sweeping_can_be_turned_off() -> None:
    store = kv.connect("memory://?sweep_interval=none")
    assert isinstance(store, MemoryStore)
    await store.put("old", {}, ttl=0.01)
    await anyio.sleep(0.05)
    await store.put("new", {})
    assert stored(store) == 2
    assert await store.cull() == 1
    assert stored(store) == 1


async def test_failing_sweep_never_fails_the_write(caplog: pytest.LogCaptureFixture) -> None:
    class Failing(MemoryStore):
        async def _cull(self, now: float, limit: int | None) -> int:
            raise OSError("disk gone")

    store = Failing()
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    assert "Sweep of expired entries failed" in caplog.text


def test_invalid_sweep_options() -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect("memory://?sweep_interval=0")
    with pytest.raises(kv.InvalidOptionError):
        kv.connect("memory://?sweep_limit=0")


async def test_blocking_calls_run_in_a_thread_one_at_a_time() -> None:
    run = BlockingCalls()
    main_thread = threading.get_ident()
    active = 0
    most = 0

    def work() -> int:
        nonlocal active, most
        active += 1
        most = max(most, active)
        time.sleep(0.02)
        active -= 1
        return threading.get_ident()

    results: list[int] = []

    async def call() -> None:
        results.append(await run(work))

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(call)
    assert most == 1
    assert main_thread not in results


async def test_blocking_calls_can_run_in_parallel_when_allowed() -> None:
    run = BlockingCalls(max_threads=3)
    barrier = threading.Barrier(3, timeout=5)

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(run, barrier.wait)


def test_blocking_calls_need_at_least_one_thread() -> None:
    with pytest.raises(ValueError, match="max_threads"):
        BlockingCalls(0)


# --- cancellation: the caller returns at once, the engine still sees one call at a time ---

WATCHDOG = 20.0
"""Seconds a blocked test thread waits at most, so a broken runner fails instead of hanging."""


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_cancelled_caller_returns_at_once_and_the_call_keeps_its_place() -> None:
    run = BlockingCalls()
    started = threading.Event()
    gate = threading.Event()
    events: list[str] = []

    def first() -> int:
        started.set()
        gate.wait(WATCHDOG)
        events.append("first finished")
        return 1

    def second() -> int:
        events.append("second started")
        return 2

    async def call_first() -> None:
        await run(first)

    async with anyio.create_task_group() as group:
        group.start_soon(call_first)
        await anyio.to_thread.run_sync(started.wait, WATCHDOG)  # first runs in its thread
        group.cancel_scope.cancel()
    # The caller is gone while its call still runs in the background...
    assert events == [], "the cancelled caller waited for its thread"
    assert not gate.is_set()
    limiter, _ = run._current_limiter()
    assert limiter.borrowed_tokens == 1, "the abandoned call still holds its place"

    # ... and a later call waits for it: the engine never sees two calls at once.
    results: list[int] = []

    async def call_second() -> None:
        results.append(await run(second))

    async with anyio.create_task_group() as group:
        group.start_soon(call_second)
        await anyio.wait_all_tasks_blocked()
        assert limiter.statistics().tasks_waiting == 1
        gate.set()
    assert events == ["first finished", "second started"]
    assert results == [2]
    assert limiter.borrowed_tokens == 0


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_result_of_an_abandoned_call_is_dropped_before_the_next_call() -> None:
    class Handle:
        """Stands for what an abandoned call opened (a database holding a lock)."""

    run = BlockingCalls()
    started = threading.Event()
    gate = threading.Event()
    opened: list[weakref.ref[Handle]] = []
    seen_alive: list[bool] = []

    def open_handle() -> Handle:
        started.set()
        gate.wait(WATCHDOG)
        handle = Handle()
        opened.append(weakref.ref(handle))
        return handle

    def next_call() -> None:
        seen_alive.append(opened[0]() is not None)

    async def call_open() -> None:
        await run(open_handle)

    async with anyio.create_task_group() as group:
        group.start_soon(call_open)
        await anyio.to_thread.run_sync(started.wait, WATCHDOG)
        group.cancel_scope.cancel()
    async with anyio.create_task_group() as group:
        group.start_soon(run, next_call)
        await anyio.wait_all_tasks_blocked()
        gate.set()
    assert seen_alive == [False]


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_call_cancelled_before_it_starts_never_runs() -> None:
    run = BlockingCalls()
    started = threading.Event()
    gate = threading.Event()
    ran: list[str] = []

    def blocker() -> None:
        started.set()
        gate.wait(WATCHDOG)

    async with anyio.create_task_group() as group:
        group.start_soon(run, blocker)
        await anyio.to_thread.run_sync(started.wait, WATCHDOG)
        with anyio.CancelScope() as waiting:
            waiting.cancel()
            await run(ran.append, "never")
        gate.set()
    assert ran == []
    # Every place was given back exactly once.
    limiter, _ = run._current_limiter()
    assert limiter.borrowed_tokens == 0
    await run(ran.append, "later")
    assert ran == ["later"]


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_errors_and_results_of_calls_still_reach_their_callers() -> None:
    run = BlockingCalls()

    def fail() -> None:
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        await run(fail)
    assert await run(int, "7") == 7
    limiter, _ = run._current_limiter()
    assert limiter.borrowed_tokens == 0


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_finish_makes_a_cancelled_caller_wait_for_its_call() -> None:
    run = BlockingCalls()
    started = threading.Event()
    gate = threading.Event()
    events: list[str] = []

    def opening() -> None:
        started.set()
        gate.wait(WATCHDOG)
        events.append("opened")

    scope = anyio.CancelScope()

    async def caller() -> None:
        with scope:
            await run.finish(opening)
        events.append("caller went on")

    async with anyio.create_task_group() as group:
        group.start_soon(caller)
        await anyio.to_thread.run_sync(started.wait, WATCHDOG)
        scope.cancel()
        await anyio.wait_all_tasks_blocked()
        events.append("gate opened")
        gate.set()
    assert events == ["gate opened", "opened", "caller went on"]


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_blocking_calls_do_not_queue_behind_the_shared_thread_limit() -> None:
    shared = anyio.to_thread.current_default_thread_limiter()
    saved = shared.total_tokens
    shared.total_tokens = 1
    run = BlockingCalls()
    gate = threading.Event()

    def hog() -> None:
        gate.wait(WATCHDOG)

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(anyio.to_thread.run_sync, hog)
            await anyio.wait_all_tasks_blocked()
            assert shared.borrowed_tokens == 1, "hog holds the one shared thread"
            with anyio.fail_after(WATCHDOG / 2):
                assert await run(int, "5") == 5
            gate.set()
    finally:
        gate.set()
        shared.total_tokens = saved
