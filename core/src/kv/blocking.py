"""Running a blocking engine's calls without blocking the event loop.

Stores over synchronous libraries (SQLite, RocksDB, DuckDB, keyring, files)
hand every engine call to a :class:`BlockingCalls` runner. It runs the call in
a worker thread (``anyio.to_thread``), at most ``max_threads`` at a time for
this store, so one store never takes over the shared thread pool and an engine
that is not thread-safe sees one call at a time. A cancelled caller waits for
its call to finish: no thread is left running behind a cancelled task.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from typing_extensions import TypeVarTuple, Unpack

if TYPE_CHECKING:
    import anyio

__all__ = ["BlockingCalls"]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class BlockingCalls:
    """A per-store runner of blocking calls in worker threads.

    Args:
        max_threads: How many of this store's calls may run at once (1: one
            at a time, for engines that are not thread-safe).
    """

    def __init__(self, max_threads: int = 1) -> None:
        if max_threads < 1:
            raise ValueError("max_threads must be >= 1")
        self.max_threads = max_threads
        self._limiter: anyio.CapacityLimiter | None = None
        self._limiter_owner: object = None

    def _current_limiter(self) -> anyio.CapacityLimiter:
        import anyio.lowlevel

        token = anyio.lowlevel.current_token()
        if self._limiter is None or self._limiter_owner != token:
            # A limiter belongs to one event loop; a store reused from another
            # loop (tests, anyio.run per command) gets a fresh one.
            self._limiter = anyio.CapacityLimiter(self.max_threads)
            self._limiter_owner = token
        return self._limiter

    async def __call__(self, func: Callable[[Unpack[Ts]], T], *args: Unpack[Ts]) -> T:
        """Run ``func(*args)`` in a worker thread and return its result."""
        import anyio.to_thread

        return await anyio.to_thread.run_sync(func, *args, limiter=self._current_limiter())
