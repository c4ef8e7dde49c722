"""The call gate of kv-resp's store: calls beyond the limit wait, in order, never lost.

Pure asyncio, no server: the gate is the part of ``RespStore`` that decides
when a call may start; what a server answers is tested by kv-redis and
kv-valkey against real servers.
"""

from __future__ import annotations

import asyncio

from kv_resp.store import _FIRST_SLOTS, _LoopClient


def _gate(limit: int | None) -> _LoopClient:
    return _LoopClient(object(), cluster=False, owned=True, limit=limit)


def test_slots_open_gradually_up_to_the_limit() -> None:
    async def main() -> None:
        gate = _gate(20)
        assert gate.free == _FIRST_SLOTS
        running = 0
        highest = 0
        release = asyncio.Event()

        async def call() -> None:
            nonlocal running, highest
            opened = await gate.acquire()
            running += 1
            highest = max(highest, running)
            await release.wait()
            await asyncio.sleep(0)
            running -= 1
            gate.release(opened)

        tasks = [asyncio.ensure_future(call()) for _ in range(100)]
        for _ in range(5):
            await asyncio.sleep(0)
        assert running == _FIRST_SLOTS  # the rest wait
        release.set()
        await asyncio.gather(*tasks)
        assert highest <= 20
        assert gate.free + gate.growth == 20
        assert not gate.waiters

    asyncio.run(main())


def test_waiters_are_served_first_come_first_served() -> None:
    async def main() -> None:
        gate = _gate(1)
        order: list[int] = []
        assert await gate.acquire() is False
        tasks = []
        for number in range(5):

            async def call(number: int = number) -> None:
                opened = await gate.acquire()
                order.append(number)
                gate.release(opened)

            tasks.append(asyncio.ensure_future(call()))
            await asyncio.sleep(0)
        gate.release()
        await asyncio.gather(*tasks)
        assert order == [0, 1, 2, 3, 4]
        assert gate.free == 1

    asyncio.run(main())


def test_a_cancelled_waiter_never_loses_a_slot() -> None:
    async def main() -> None:
        gate = _gate(1)
        await gate.acquire()
        first = asyncio.ensure_future(gate.acquire())
        second = asyncio.ensure_future(gate.acquire())
        await asyncio.sleep(0)
        gate.release()  # hands the slot to ``first`` ...
        first.cancel()  # ... which is cancelled before it runs: the slot passes on
        await asyncio.gather(first, return_exceptions=True)
        assert await second is False
        gate.release()
        # a waiter cancelled while waiting leaves the queue
        await gate.acquire()
        third = asyncio.ensure_future(gate.acquire())
        await asyncio.sleep(0)
        third.cancel()
        await asyncio.gather(third, return_exceptions=True)
        assert not gate.waiters
        gate.release()
        assert gate.free == 1

    asyncio.run(main())


def test_a_waiter_that_times_out_leaves_the_queue() -> None:
    async def main() -> None:
        gate = _gate(1)
        await gate.acquire()
        try:
            await asyncio.wait_for(gate.acquire(), 0.01)
        except asyncio.TimeoutError:
            pass
        else:
            raise AssertionError("the slot was taken; acquire() must wait")
        assert not gate.waiters
        gate.release()
        assert gate.free == 1

    asyncio.run(main())


def test_no_limit_still_opens_gradually() -> None:
    gate = _gate(None)
    assert gate.free == _FIRST_SLOTS
    assert gate.growth > 10**9
