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
