"""PerLoop: one resource per event loop, released when its loop closes."""

from __future__ import annotations

import asyncio

import pytest

from kv.loops import PerLoop, current_loop


class Resource:
    def __init__(self, loop: object) -> None:
        self.loop = loop
        self.closed = False
        self.discarded = False


def make_per_loop() -> PerLoop[Resource]:
    async def make() -> Resource:
        await asyncio.sleep(0)
        return Resource(current_loop())

    async def close(resource: Resource) -> None:
        resource.closed = True

    def discard(resource: Resource) -> None:
        resource.discarded = True

    return PerLoop(make, close=close, discard=discard)


def test_one_resource_per_loop_and_dead_loops_discarded() -> None:
    per_loop = make_per_loop()
    seen: list[Resource] = []

    async def use() -> None:
        first = await per_loop.get()
        assert await per_loop.get() is first
        assert first.loop is asyncio.get_running_loop()
        seen.append(first)

    for _ in range(5):
        asyncio.run(use())
    assert len({id(r) for r in seen}) == 5
    assert all(r.discarded for r in seen[:-1])
    assert not seen[-1].closed

    async def close() -> None:
        await per_loop.close()

    asyncio.run(close())
    assert seen[-1].discarded  # its loop had closed: discarded, not awaited


def test_concurrent_first_use_makes_one_resource() -> None:
    per_loop = make_per_loop()

    async def main() -> None:
        results = await asyncio.gather(*(per_loop.get() for _ in range(50)))
        assert len({id(r) for r in results}) == 1
        assert per_loop.current is results[0]
        await per_loop.close()
        assert results[0].closed
        assert per_loop.current is None

    asyncio.run(main())


def test_invalidate_forgets_the_current_resource() -> None:
    per_loop = make_per_loop()

    async def main() -> None:
        first = await per_loop.get()
        per_loop.invalidate()
        assert await per_loop.get() is not first

    asyncio.run(main())


def test_current_loop_outside_a_loop_raises() -> None:
    with pytest.raises(RuntimeError):
        current_loop()


def test_close_with_loop_closes_each_loops_resource_at_its_shutdown() -> None:
    closed_in: list[object] = []

    async def make() -> Resource:
        return Resource(current_loop())

    async def close(resource: Resource) -> None:
        await asyncio.sleep(0)  # a polite close may await: its loop still runs
        closed_in.append(asyncio.get_running_loop())
        resource.closed = True

    def discard(resource: Resource) -> None:
        resource.discarded = True

    per_loop = PerLoop(make, close=close, discard=discard, close_with_loop=True)
    seen: list[Resource] = []

    async def use() -> None:
        seen.append(await per_loop.get())
        assert await per_loop.get() is seen[-1]

    for _ in range(5):
        asyncio.run(use())
    assert all(r.closed and not r.discarded for r in seen)
    assert closed_in == [r.loop for r in seen]  # each in its own loop
    assert repr(per_loop) == "<PerLoop loops=0>"

    # A loop closed without shutting its async generators down: discarded later.
    loop = asyncio.new_event_loop()
    loop.run_until_complete(use())
    loop.close()
    asyncio.run(use())
    assert seen[-2].discarded
    assert not seen[-2].closed
    assert seen[-1].closed


def test_close_with_loop_after_an_explicit_close() -> None:
    per_loop = make_per_loop()
    watched = PerLoop(per_loop._make, close=per_loop._close, close_with_loop=True)

    async def main() -> tuple[Resource, Resource]:
        first = await watched.get()
        await watched.close()
        assert first.closed
        first.closed = False
        second = await watched.get()
        assert second is not first
        return first, second

    first, second = asyncio.run(main())
    assert second.closed  # the resource made after close() is closed at shutdown
    assert not first.closed  # and the one closed before is not closed twice
