"""Timing helpers shared by the benchmark scripts (run them from the repository root)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

__all__ = ["best_ns_per_op", "best_ns_per_op_async", "thread_hop_ns"]


def best_ns_per_op(run: Callable[[], None], operations: int, rounds: int) -> float:
    """Fastest of ``rounds`` timings, in nanoseconds per operation."""
    timings = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        run()
        timings.append((time.perf_counter_ns() - start) / operations)
    return min(timings)


async def best_ns_per_op_async(
    run: Callable[[], Awaitable[None]], operations: int, rounds: int
) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        await run()
        timings.append((time.perf_counter_ns() - start) / operations)
    return min(timings)


async def thread_hop_ns(loops: int, rounds: int) -> float:
    """What one ``BlockingCalls`` hop to a worker thread and back costs, doing nothing."""
    from kv.blocking import BlockingCalls

    calls = BlockingCalls(max_threads=1)

    def nothing() -> None:
        return None

    async def hops() -> None:
        for _ in range(loops):
            await calls(nothing)

    return await best_ns_per_op_async(hops, loops, rounds)
