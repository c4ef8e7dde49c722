"""BlockingCalls' inline calls: on the event loop when allowed, in the thread otherwise."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from kv.blocking import INLINE_STRIKES, BlockingCalls, WouldBlock, running_inline

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def where() -> tuple[int, bool]:
    return threading.get_ident(), running_inline()


async def test_an_inline_call_runs_on_the_event_loop_thread() -> None:
    calls = BlockingCalls()
    loop_thread = threading.get_ident()
    assert await calls(where, inline=True) == (loop_thread, True)
    thread, inline = await calls(where)
    assert thread != loop_thread
    assert not inline
    assert not running_inline()


async def test_no_budget_means_every_call_in_the_thread() -> None:
    calls = BlockingCalls(inline_budget=None)
    thread, inline = await calls(where, inline=True)
    assert thread != threading.get_ident()
    assert not inline


async def test_slow_inline_calls_send_the_store_to_its_thread() -> None:
    calls = BlockingCalls(inline_budget=0.001)
    loop_thread = threading.get_ident()

    def slow() -> int:
        time.sleep(0.005)
        return threading.get_ident()

    for _ in range(INLINE_STRIKES - 1):
        assert await calls(slow, inline=True) == loop_thread
    assert await calls(where, inline=True) == (loop_thread, True)  # a fast call resets
    for _ in range(INLINE_STRIKES):
        assert await calls(slow, inline=True) == loop_thread
    assert (await calls(where, inline=True))[0] != loop_thread  # cooling down
    assert calls.longest_inline >= 0.005


async def test_a_call_that_would_wait_runs_again_in_the_thread() -> None:
    calls = BlockingCalls()
    attempts: list[bool] = []

    def lock_held_elsewhere() -> str:
        attempts.append(running_inline())
        if running_inline():
            raise WouldBlock
        return "written"

    assert await calls(lock_held_elsewhere, inline=True) == "written"
    assert attempts == [True, False]


async def test_no_inline_call_while_a_call_runs_in_the_thread() -> None:
    calls = BlockingCalls()
    started, release = threading.Event(), threading.Event()
    inside = 0
    most = 0

    def engine_call() -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        started.set()
        release.wait(30)
        inside -= 1

    def point_call() -> bool:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        inside -= 1
        return running_inline()

    async with anyio.create_task_group() as group:
        group.start_soon(calls, engine_call)
        await anyio.to_thread.run_sync(started.wait, 30)
        with anyio.fail_after(30):
            async with anyio.create_task_group() as inner:
                results: list[bool] = []

                async def point() -> None:
                    results.append(await calls(point_call, inline=True))

                inner.start_soon(point)
                await anyio.sleep(0)
                release.set()
    assert results == [False]  # it waited for the thread, and ran there
    assert most == 1


async def test_each_kind_of_call_has_its_own_strikes() -> None:
    calls = BlockingCalls(inline_budget=0.05)  # a quick call never overruns it
    loop_thread = threading.get_ident()

    def slow() -> int:
        time.sleep(0.1)
        return threading.get_ident()

    for _ in range(INLINE_STRIKES):
        assert await calls(slow, inline="write") == loop_thread
    assert (await calls(where, inline="write"))[0] != loop_thread  # writes cool down
    assert await calls(where, inline="read") == (loop_thread, True)  # reads do not
    assert (await calls(where, inline=True))[0] == loop_thread  # nor unnamed calls
    for _ in range(INLINE_STRIKES - 1):
        assert await calls(slow, inline="read") == loop_thread
    assert await calls(where, inline="write") != (loop_thread, True)  # still cooling
    assert await calls(slow, inline="read") == loop_thread  # the reads' own third strike
    assert (await calls(where, inline="read"))[0] != loop_thread
