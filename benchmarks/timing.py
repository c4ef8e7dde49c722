"""Timing helpers shared by the benchmark scripts (run them from the repository root)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

__all__ = [
    "batch_size",
    "best_ns_per_op",
    "best_ns_per_op_async",
    "interleaved",
    "thread_hop_ns",
]

Call = Callable[[], Awaitable[Any]]


def batch_size(operation: str) -> int:
    """The keys per call an operation's name says: ``"get_many(10)"`` is 10, ``"get"`` 1."""
    inside = operation.split("(")[1].rstrip(")") if "(" in operation else ""
    return int(inside) if inside.isdigit() else 1


async def interleaved(
    operations: Sequence[str],
    sides: Sequence[str],
    rounds: int,
    calls: Callable[[str, str], Sequence[Call]],
    prepare: Callable[[str, str], Awaitable[None]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Time each side doing the same work, taking turns, in one process and event loop.

    For each operation, ``rounds`` timed rounds follow one warm-up round; in
    each, every side runs ``calls(side, operation)`` one after another, the
    sides in an order that rotates by one each round. ``prepare(side,
    operation)`` runs untimed before each side's turn (the keys a round
    deletes, say).

    Returns, per operation: ``"median"``, each side's median µs per call, and
    the median of the per-round ratios of ``"kv"`` to ``"raw"`` (``"vs raw"``)
    and to ``"py-key-value"`` (``"vs pykv"``), for those of them in ``sides``.
    """
    ratios = {"raw": "vs raw", "py-key-value": "vs pykv"}
    results: dict[str, dict[str, Any]] = {}
    for operation in operations:
        times: dict[str, list[float]] = {side: [] for side in sides}
        for number in range(rounds + 1):  # the first round warms up
            shift = number % len(sides)
            for side in [*sides[shift:], *sides[:shift]]:
                if prepare is not None:
                    await prepare(side, operation)
                batch = calls(side, operation)
                start = time.perf_counter()
                for run in batch:
                    await run()
                elapsed = (time.perf_counter() - start) / len(batch) * 1e6
                if number:
                    times[side].append(elapsed)
        found: dict[str, Any] = {"median": {side: statistics.median(times[side]) for side in sides}}
        for other, name in ratios.items():
            if other in times and "kv" in times:
                found[name] = statistics.median(k / o for k, o in zip(times["kv"], times[other]))
        results[operation] = found
    return results


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
