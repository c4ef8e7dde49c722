"""kv.concurrent.run_all: every call runs to its end, results in order, the first
failure in call order raised, at most ``limit`` calls in flight."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel
import pytest

from kv.concurrent import run_all

pytestmark = pytest.mark.anyio


async def test_results_come_back_in_the_order_of_the_calls() -> None:
    async def value(number: int) -> int:
        for _ in range(10 - number):  # later calls finish first
            await anyio.lowlevel.checkpoint()
        return number

    calls: list[Callable[[], Awaitable[int]]] = [
        (lambda n=n: value(n))
        for n in range(10)  # type: ignore[misc]
    ]
    assert await run_all(calls) == list(range(10))


async def test_every_call_finishes_before_the_first_failure_in_order_is_raised() -> None:
    finished: list[int] = []

    async def call(number: int) -> int:
        for _ in range(5 if number == 3 else 1):
            await anyio.lowlevel.checkpoint()
        if number in (1, 3):
            raise ValueError(f"call {number}")
        finished.append(number)
        return number

    with pytest.raises(ValueError, match="call 1"):
        await run_all([(lambda n=n: call(n)) for n in range(6)])  # type: ignore[misc]
    assert sorted(finished) == [0, 2, 4, 5]


async def test_at_most_limit_calls_are_in_flight() -> None:
    in_flight = 0
    most = 0

    async def call() -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        for _ in range(3):
            await anyio.lowlevel.checkpoint()
        in_flight -= 1

    await run_all([call] * 20, limit=4)
    assert most == 4
    await run_all([call] * 20)
    assert most == 20


async def test_a_single_call_runs_in_the_callers_task() -> None:
    caller = anyio.get_current_task()

    async def call() -> object:
        return anyio.get_current_task()

    assert await run_all([call]) == [caller]
    assert await run_all([]) == []
