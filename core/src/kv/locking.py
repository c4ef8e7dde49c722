"""Open an engine that one process at a time may hold, waiting for its lock.

Embedded engines such as RocksDB, DuckDB and chDB lock their files: while one
process has a database open, another process's open fails. A store on such an
engine retries the open until ``lock_timeout`` seconds have passed, with a
short, growing pause between attempts, then fails with a clear error::

    async def _open(self) -> None:
        self._db = await open_when_unlocked(
            lambda: self._calls(self._connect),
            is_locked=_is_lock_error,
            lock_timeout=self.lock_timeout,
            locked_error=lambda error: self._locked_error(),
        )

and validates the option with :func:`check_lock_timeout`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from kv.errors import InvalidOptionError

__all__ = ["check_lock_timeout", "open_when_unlocked"]

T = TypeVar("T")


async def open_when_unlocked(
    open_once: Callable[[], Awaitable[T]],
    *,
    is_locked: Callable[[Exception], bool],
    lock_timeout: float,
    locked_error: Callable[[Exception], BaseException],
    first_delay: float = 0.005,
    max_delay: float = 0.1,
) -> T:
    """Call ``open_once`` until it succeeds, retrying while the engine is locked.

    Args:
        open_once: One attempt to open the engine (typically a blocking call run
            in a worker thread); its result is returned.
        is_locked: Whether an exception ``open_once`` raised means "another
            holder has the lock". Any other exception propagates at once.
        lock_timeout: Seconds to keep retrying (``0`` tries once).
        locked_error: Builds the error raised (without exception chaining) when
            the engine is still locked after ``lock_timeout`` seconds; it receives
            the last lock exception.
        first_delay: Seconds to pause after the first failed attempt; the pause
            doubles after each attempt up to ``max_delay`` and never passes the
            deadline.
        max_delay: The longest pause between two attempts.

    Returns:
        What ``open_once`` returned.

    Raises:
        BaseException: ``locked_error(...)`` once the time is up, or whatever
            ``open_once`` raised that ``is_locked`` does not recognise.
    """
    deadline = time.monotonic() + lock_timeout
    delay = first_delay
    while True:
        try:
            return await open_once()
        except Exception as error:
            if not is_locked(error):
                raise
            if time.monotonic() >= deadline:
                raise locked_error(error) from None
        await anyio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, max_delay)


def check_lock_timeout(value: object, *, store: str, name: str = "lock_timeout") -> float:
    """Validate a lock timeout option: a finite number of seconds ``>= 0``.

    Args:
        value: The option's value (booleans are refused).
        store: The store name the error message names.
        name: The option's name, for the error message.

    Returns:
        The timeout as a float.

    Raises:
        InvalidOptionError: ``value`` is not a number, negative, infinite or NaN.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidOptionError(
            f"{name} must be a number of seconds, not {type(value).__name__}", store=store
        )
    seconds = float(value)
    if not (seconds >= 0 and math.isfinite(seconds)):
        raise InvalidOptionError(
            f"{name} must be a finite number of seconds >= 0, not {value!r}", store=store
        )
    return seconds
