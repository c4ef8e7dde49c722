"""Expired entries are reclaimed while a store is in use; blocking calls run in threads."""

from __future__ import annotations

import threading
import time

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
