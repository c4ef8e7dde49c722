"""Running a store's backend calls side by side: :func:`run_all`.

Bulk operations of server stores split their work into calls the backend
limits (a batch of 25 writes, a transaction of 128 operations, one request
per key) and run those calls at once. Every call runs to its end, even after
another failed: a half-applied batch whose other parts were cancelled would
leave the caller unable to tell what was written. Then the first failure, in
the order of the calls, is raised.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

import anyio

__all__ = ["run_all"]

T = TypeVar("T")


async def run_all(
    calls: Sequence[Callable[[], Awaitable[T]]], *, limit: int | None = None
) -> list[T]:
    """Await every ``call()`` concurrently, at most ``limit`` at a time (``None``: all);
    return their results in order.

    A single call is awaited directly, in the caller's task. Once every call has
    finished, the first failure (in the order of ``calls``) is raised.
    Cancellation of the caller cancels the calls.
    """
    if len(calls) == 1:
        return [await calls[0]()]
    results: list[Any] = [None] * len(calls)
    failures: list[tuple[int, Exception]] = []
    gate = anyio.Semaphore(limit) if limit is not None else None

    async def run(index: int, call: Callable[[], Awaitable[T]]) -> None:
        try:
            if gate is None:
                results[index] = await call()
            else:
                async with gate:
                    results[index] = await call()
        except Exception as error:  # raised below, once every call has finished
            failures.append((index, error))

    async with anyio.create_task_group() as group:
        for index, call in enumerate(calls):
            group.start_soon(run, index, call)
    if failures:
        raise min(failures, key=lambda failure: failure[0])[1]
    return cast(list[T], results)
