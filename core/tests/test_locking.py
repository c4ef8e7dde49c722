"""Opening a locked engine retries until ``lock_timeout``, then fails clearly."""

from __future__ import annotations

import fcntl
import math
import time
from pathlib import Path
from typing import IO

import anyio
import pytest

from kv.errors import InvalidOptionError, StoreTimeoutError
from kv.locking import check_lock_timeout, open_when_unlocked

pytestmark = pytest.mark.anyio


class Locked(Exception):
    """What the test engines raise while another holder has the lock."""


def is_locked(error: Exception) -> bool:
    return isinstance(error, Locked)


def timed_out(error: Exception) -> StoreTimeoutError:
    return StoreTimeoutError(f"still locked: {error}")


class Engine:
    """Fails to open ``failures`` times with ``error``, then opens."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or Locked("held")
        self.attempts: list[float] = []

    async def open(self) -> str:
        self.attempts.append(time.monotonic())
        if len(self.attempts) <= self.failures:
            raise self.error
        return "opened"


async def test_an_unlocked_engine_opens_at_once() -> None:
    engine = Engine(0)
    result = await open_when_unlocked(
        engine.open, is_locked=is_locked, lock_timeout=5, locked_error=timed_out
    )
    assert result == "opened"
    assert len(engine.attempts) == 1


async def test_opening_retries_while_locked_with_growing_pauses() -> None:
    engine = Engine(4)
    result = await open_when_unlocked(
        engine.open,
        is_locked=is_locked,
        lock_timeout=30,
        locked_error=timed_out,
        first_delay=0.01,
        max_delay=0.02,
    )
    assert result == "opened"
    assert len(engine.attempts) == 5
    pauses = [later - earlier for earlier, later in zip(engine.attempts, engine.attempts[1:])]
    assert pauses[0] >= 0.01
    assert all(pause >= 0.02 for pause in pauses[1:])  # doubled, then capped


async def test_still_locked_at_the_deadline_raises_the_locked_error_unchained() -> None:
    engine = Engine(10**6)
    started = time.monotonic()
    with pytest.raises(StoreTimeoutError) as caught:
        await open_when_unlocked(
            engine.open, is_locked=is_locked, lock_timeout=0.3, locked_error=timed_out
        )
    elapsed = time.monotonic() - started
    assert str(caught.value) == "still locked: held"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert 0.3 <= elapsed < 5
    assert len(engine.attempts) > 2


async def test_a_zero_timeout_tries_once() -> None:
    engine = Engine(1)
    with pytest.raises(StoreTimeoutError):
        await open_when_unlocked(
            engine.open, is_locked=is_locked, lock_timeout=0, locked_error=timed_out
        )
    assert len(engine.attempts) == 1


async def test_other_errors_propagate_without_retrying() -> None:
    engine = Engine(1, ValueError("corrupt"))
    with pytest.raises(ValueError, match="corrupt"):
        await open_when_unlocked(
            engine.open, is_locked=is_locked, lock_timeout=5, locked_error=timed_out
        )
    assert len(engine.attempts) == 1


def try_lock(path: Path) -> IO[bytes]:
    """Take an exclusive ``flock`` on ``path`` (a new open file description)."""
    handle = path.open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise
    return handle


async def test_waits_for_a_real_file_lock_to_be_released(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    holder = try_lock(path)

    async def release_later() -> None:
        await anyio.sleep(0.3)
        holder.close()

    async def open_once() -> IO[bytes]:
        return try_lock(path)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(release_later)
        started = time.monotonic()
        handle = await open_when_unlocked(
            open_once,
            is_locked=lambda error: isinstance(error, BlockingIOError),
            lock_timeout=30,
            locked_error=timed_out,
        )
    try:
        assert time.monotonic() - started >= 0.25
    finally:
        handle.close()


@pytest.mark.parametrize(("value", "expected"), [(0, 0.0), (2, 2.0), (0.25, 0.25)])
def test_valid_lock_timeouts(value: object, expected: float) -> None:
    assert check_lock_timeout(value, store="demo") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "lock_timeout must be a number of seconds, not bool"),
        ("5", "lock_timeout must be a number of seconds, not str"),
        (None, "lock_timeout must be a number of seconds, not NoneType"),
        (-1, "lock_timeout must be a finite number of seconds >= 0, not -1"),
        (math.inf, "lock_timeout must be a finite number of seconds >= 0, not inf"),
        (math.nan, "lock_timeout must be a finite number of seconds >= 0, not nan"),
    ],
)
def test_invalid_lock_timeouts_are_refused(value: object, message: str) -> None:
    with pytest.raises(InvalidOptionError, match=message) as caught:
        check_lock_timeout(value, store="demo")
    assert "demo" in str(caught.value)


def test_the_option_name_is_in_the_message() -> None:
    with pytest.raises(InvalidOptionError, match="wait must be a number"):
        check_lock_timeout("x", store="demo", name="wait")
