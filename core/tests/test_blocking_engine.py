"""kv.blocking.Engine: a store's engine handle, its lock and its runner of blocking calls."""

from __future__ import annotations

import threading

import anyio
import pytest

import kv
from kv.blocking import BlockingCalls, Engine, running_inline

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Handle:
    """An engine object that records where each call ran."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, bool]] = []

    def call(self) -> str:
        self.calls.append((threading.get_ident(), running_inline()))
        return "answer"


async def test_a_call_gets_the_handle_and_runs_where_asked() -> None:
    engine = Engine[Handle](BlockingCalls(), closed="The test engine is closed")
    engine.handle = Handle()
    loop_thread = threading.get_ident()
    assert await engine.run(Handle.call) == "answer"
    assert await engine.run(Handle.call, inline=True) == "answer"
    (thread, inline), (same, inline_again) = engine.handle.calls
    assert thread != loop_thread
    assert not inline
    assert same == loop_thread
    assert inline_again


async def test_without_a_handle_a_call_raises_the_store_message() -> None:
    engine = Engine[Handle](BlockingCalls(), closed="The test engine is closed")
    ran: list[Handle] = []
    for inline in (False, True):
        with pytest.raises(kv.StoreConnectionError, match=r"^The test engine is closed$"):
            await engine.run(ran.append, inline=inline)
    handle = engine.handle = Handle()
    assert engine.close() is handle
    assert engine.close() is None
    with pytest.raises(kv.StoreConnectionError):
        await engine.run(ran.append)
    assert ran == []


async def test_the_lock_is_held_around_each_call_and_finish() -> None:
    engine = Engine[Handle](BlockingCalls(), closed="closed", lock=True)
    engine.handle = Handle()
    lock = engine.lock
    assert lock is not None

    def held(handle: Handle) -> bool:
        return lock.locked()

    assert await engine.run(held)
    assert await engine.run(held, inline=True)
    assert await engine.finish(lock.locked)
    assert not lock.locked()


async def test_an_inline_call_that_finds_the_lock_taken_runs_in_the_thread() -> None:
    engine = Engine[Handle](BlockingCalls(), closed="closed", lock=True)
    engine.handle = handle = Handle()
    lock = engine.lock
    assert lock is not None
    lock.acquire()  # held by something else, as a call abandoned in another loop would

    async def release_soon() -> None:
        await anyio.sleep(0.01)
        lock.release()

    async with anyio.create_task_group() as group:
        group.start_soon(release_soon)
        with anyio.fail_after(30):
            assert await engine.run(Handle.call, inline=True) == "answer"
    [(thread, inline)] = handle.calls  # the inline try gave up before calling
    assert thread != threading.get_ident()
    assert not inline


async def test_a_failing_call_releases_the_lock() -> None:
    engine = Engine[Handle](BlockingCalls(), closed="closed", lock=True)
    engine.handle = Handle()

    def fail(handle: Handle) -> None:
        raise ValueError("engine error")

    for inline in (False, True):
        with pytest.raises(ValueError, match="engine error"):
            await engine.run(fail, inline=inline)
    assert engine.lock is not None
    assert not engine.lock.locked()
