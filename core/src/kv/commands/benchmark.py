"""The engine of ``kv bench``: a short benchmark of any store.

:func:`run_benchmark` writes ``ops`` entries into a scratch collection, then
times ``ops`` single calls of each of ``put``, ``get`` and ``get_many`` (of
``many`` keys each), one after another, and deletes what it wrote. Each
result is the operations per second (calls divided by their total time) and
the latency percentiles p50, p90 and p99 of one call.

No click, no rich: :mod:`kv.commands.bench` prints the results as a table.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import kv
from kv.errors import ArgumentValueError

__all__ = ["Result", "percentile", "run_benchmark"]

VALUE = {"name": "bench", "count": 1, "tags": ["a", "b"], "text": "x" * 64}
"""The value every benchmark entry holds (about 100 bytes of JSON)."""


@dataclass(frozen=True)
class Result:
    """The timings of one operation."""

    operation: str
    calls: int
    ops_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float


def percentile(sorted_seconds: list[float], fraction: float) -> float:
    """The value at ``fraction`` (0-1) of ``sorted_seconds``, by nearest rank."""
    if not sorted_seconds:
        raise ArgumentValueError("No timings to take a percentile of")
    # ceil(fraction * n), rounded first so 0.99 * 100 is rank 99, not 100.
    rank = max(1, min(len(sorted_seconds), math.ceil(round(fraction * len(sorted_seconds), 9))))
    return sorted_seconds[rank - 1]


async def _time(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    """The duration of each call, in seconds, run one after another."""
    durations = []
    for call in calls:
        started = time.perf_counter()
        await call()
        durations.append(time.perf_counter() - started)
    return durations


def _result(operation: str, durations: list[float]) -> Result:
    ordered = sorted(durations)
    total = sum(ordered)
    return Result(
        operation,
        len(ordered),
        len(ordered) / total if total > 0 else float("inf"),
        percentile(ordered, 0.50) * 1000,
        percentile(ordered, 0.90) * 1000,
        percentile(ordered, 0.99) * 1000,
    )


async def run_benchmark(
    store: kv.AsyncKeyValue, *, ops: int = 1000, many: int = 10, collection: str = "kv-bench"
) -> list[Result]:
    """Time ``put``, ``get`` and ``get_many`` on ``store``; delete the entries written.

    Raises:
        ArgumentValueError: ``ops`` or ``many`` is less than 1.
    """
    if ops < 1 or many < 1:
        raise ArgumentValueError(f"--ops and --many must be at least 1, got {ops} and {many}")
    keys = [f"bench-{index}" for index in range(ops)]
    try:
        puts = await _time([partial(store.put, key, VALUE, collection=collection) for key in keys])
        gets = await _time([partial(store.get, key, collection=collection) for key in keys])
        groups = [[keys[(start + at) % ops] for at in range(many)] for start in range(ops)]
        get_manys = await _time(
            [partial(store.get_many, group, collection=collection) for group in groups]
        )
    finally:
        for start in range(0, ops, 1000):
            await store.delete_many(keys[start : start + 1000], collection=collection)
    return [_result("put", puts), _result("get", gets), _result(f"get_many ({many})", get_manys)]
