"""kv.dirlock: one process at a time holds a database, stores of a process share it,
and opening a locked engine retries until ``lock_timeout``, then fails clearly."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import anyio
import anyio.to_thread
import pytest

from kv import checks, dirlock
from kv.dirlock import open_when_unlocked
from kv.errors import InvalidOptionError, StoreTimeoutError
from kv.options import CommonOptions, option

HOLD = """
import sys
from kv import dirlock
token = dirlock.acquire(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
dirlock.release(token)
"""

DEADLINE = 60.0
"""Seconds a handshake may take before the test fails (never a timing assumption)."""


class Holder:
    """Another process holding kv's lock on a directory until told to let go."""

    def __init__(self, directory: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(directory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "held"  # handshake, not a sleep

    def let_go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        self.process.wait(timeout=DEADLINE)

    def kill(self) -> None:
        """SIGKILL by PID: the lock must die with the process."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=DEADLINE)


PROBE = """
import sys
from kv import dirlock
try:
    dirlock.release(dirlock.acquire(sys.argv[1]))
except dirlock.DirectoryBusyError:
    sys.exit(1)
"""


def taken_elsewhere(directory: Path) -> bool:
    """Whether another process finds kv's lock on ``directory`` taken."""
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(directory)], check=False, timeout=DEADLINE
    )
    return probe.returncode == 1


# --- the lock ----------------------------------------------------------------------------


def test_holds_are_counted_within_a_process(tmp_path: Path) -> None:
    first = dirlock.acquire(str(tmp_path))
    second = dirlock.acquire(str(tmp_path))
    assert first == second
    dirlock.release(first)
    dirlock.release(second)
    # Released for good: taking it again works and a fresh token is given.
    assert dirlock.acquire(str(tmp_path)) == first
    dirlock.release(first)


def test_another_process_holding_it_is_reported_at_once(tmp_path: Path) -> None:
    holder = Holder(tmp_path)
    try:
        with pytest.raises(dirlock.DirectoryBusyError):
            dirlock.acquire(str(tmp_path))
    finally:
        holder.let_go()
    token = dirlock.acquire(str(tmp_path))
    dirlock.release(token)


def test_the_last_release_lets_other_processes_in(tmp_path: Path) -> None:
    first = dirlock.acquire(str(tmp_path))
    second = dirlock.acquire(str(tmp_path))
    dirlock.release(first)
    assert taken_elsewhere(tmp_path)  # still held by the second store
    dirlock.release(second)
    assert not taken_elsewhere(tmp_path)
    assert (tmp_path / dirlock.LOCK_FILE).exists()  # the lock file stays


def test_a_hold_taken_in_one_thread_is_released_from_another(tmp_path: Path) -> None:
    """Stores take the lock in one worker thread and may give it back in another."""
    tokens: list[str] = []
    taker = threading.Thread(target=lambda: tokens.append(dirlock.acquire(str(tmp_path))))
    taker.start()
    taker.join(timeout=DEADLINE)
    shared = dirlock.acquire(str(tmp_path))  # this thread joins the same hold
    assert tokens == [shared]
    releaser = threading.Thread(target=dirlock.release, args=(tokens[0],))
    releaser.start()
    releaser.join(timeout=DEADLINE)
    assert taken_elsewhere(tmp_path)
    dirlock.release(shared)
    assert not taken_elsewhere(tmp_path)


def test_a_killed_holder_frees_the_lock(tmp_path: Path) -> None:
    holder = Holder(tmp_path)
    try:
        with pytest.raises(dirlock.DirectoryBusyError):
            dirlock.acquire(str(tmp_path))
    finally:
        holder.kill()
    token = dirlock.acquire(str(tmp_path))
    dirlock.release(token)


FORK = """
import os, sys
from kv import dirlock
token = dirlock.acquire(sys.argv[1])
child = os.fork()
if child == 0:  # the child holds nothing: the parent's hold is the parent's
    try:
        dirlock.acquire(sys.argv[1])
    except dirlock.DirectoryBusyError:
        os._exit(7)
    os._exit(5)
print(os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]))
dirlock.release(token)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX only")
def test_a_forked_child_does_not_share_its_parents_hold(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", FORK, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=DEADLINE,
    )
    assert result.stdout.strip() == "7"


def test_a_one_file_database_has_its_own_lock_file(tmp_path: Path) -> None:
    token = dirlock.acquire(str(tmp_path), "kv.duckdb.kv-lock")
    other = dirlock.acquire(str(tmp_path))  # another lock file in the same folder
    assert token != other
    assert (tmp_path / "kv.duckdb.kv-lock").exists()
    dirlock.release(token)
    dirlock.release(other)


# --- opening an engine under the lock: open_locked, close_and_release -----------------------


class FakeEngine:
    """An engine that records what happened to it."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        log.append("open")

    def close(self) -> None:
        self.log.append("close")


def ready(engine: FakeEngine) -> None:
    """Prepare nothing."""


def test_an_engine_opens_under_the_lock_and_closes_before_letting_go(tmp_path: Path) -> None:
    log: list[str] = []

    def prepare(engine: FakeEngine) -> None:
        assert taken_elsewhere(tmp_path)  # opened and prepared under the lock
        log.append("prepare")

    engine, token = dirlock.open_locked(
        lambda: FakeEngine(log), prepare=prepare, close=FakeEngine.close, directory=str(tmp_path)
    )
    assert token is not None
    assert log == ["open", "prepare"]
    dirlock.close_and_release(FakeEngine.close, engine, token)
    assert log == ["open", "prepare", "close"]
    assert not taken_elsewhere(tmp_path)


def test_a_failed_prepare_closes_the_engine_and_lets_go(tmp_path: Path) -> None:
    log: list[str] = []

    def prepare(engine: FakeEngine) -> None:
        raise ValueError("wrong layout")

    with pytest.raises(ValueError, match="wrong layout"):
        dirlock.open_locked(
            lambda: FakeEngine(log),
            prepare=prepare,
            close=FakeEngine.close,
            directory=str(tmp_path),
        )
    assert log == ["open", "close"]
    assert not taken_elsewhere(tmp_path)


def test_a_failed_open_lets_go_and_a_busy_lock_opens_nothing(tmp_path: Path) -> None:
    def fail() -> FakeEngine:
        raise OSError("cannot open")

    with pytest.raises(OSError, match="cannot open"):
        dirlock.open_locked(fail, prepare=ready, close=FakeEngine.close, directory=str(tmp_path))
    assert not taken_elsewhere(tmp_path)
    log: list[str] = []
    holder = Holder(tmp_path)
    try:
        with pytest.raises(dirlock.DirectoryBusyError):
            dirlock.open_locked(
                lambda: FakeEngine(log),
                prepare=ready,
                close=FakeEngine.close,
                directory=str(tmp_path),
            )
    finally:
        holder.let_go()
    assert log == []


def test_no_directory_takes_no_lock(tmp_path: Path) -> None:
    log: list[str] = []
    engine, token = dirlock.open_locked(
        lambda: FakeEngine(log), prepare=ready, close=FakeEngine.close, directory=None
    )
    assert token is None
    dirlock.close_and_release(FakeEngine.close, engine, token)
    assert log == ["open", "close"]


# --- waiting for it: open_when_unlocked ----------------------------------------------------


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


@pytest.mark.anyio
async def test_an_unlocked_engine_opens_at_once() -> None:
    engine = Engine(0)
    result = await open_when_unlocked(
        engine.open, is_locked=is_locked, lock_timeout=5, locked_error=timed_out
    )
    assert result == "opened"
    assert len(engine.attempts) == 1


@pytest.mark.anyio
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


@pytest.mark.anyio
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


@pytest.mark.anyio
async def test_a_zero_timeout_tries_once() -> None:
    engine = Engine(1)
    with pytest.raises(StoreTimeoutError):
        await open_when_unlocked(
            engine.open, is_locked=is_locked, lock_timeout=0, locked_error=timed_out
        )
    assert len(engine.attempts) == 1


@pytest.mark.anyio
async def test_other_errors_propagate_without_retrying() -> None:
    engine = Engine(1, ValueError("corrupt"))
    with pytest.raises(ValueError, match="corrupt"):
        await open_when_unlocked(
            engine.open, is_locked=is_locked, lock_timeout=5, locked_error=timed_out
        )
    assert len(engine.attempts) == 1


@pytest.mark.anyio
async def test_waits_for_another_process_to_release_kvs_lock(tmp_path: Path) -> None:
    holder = Holder(tmp_path)
    attempts = 0
    opened: list[str] = []

    async def open_once() -> str:
        nonlocal attempts
        attempts += 1
        return dirlock.acquire(str(tmp_path))

    async def opener() -> None:
        token = await open_when_unlocked(
            open_once,
            is_locked=lambda error: isinstance(error, dirlock.DirectoryBusyError),
            lock_timeout=DEADLINE,
            locked_error=timed_out,
        )
        opened.append(token)

    try:
        with anyio.fail_after(DEADLINE):
            async with anyio.create_task_group() as group:
                group.start_soon(opener)
                while attempts < 2:  # found held, and retried
                    await anyio.sleep(0.01)
                await anyio.to_thread.run_sync(holder.let_go)
    finally:
        holder.kill()
    assert attempts >= 2
    dirlock.release(opened[0])


# --- the lock_timeout option: kv.checks.seconds ----------------------------------------------


class LockOptions(CommonOptions):
    """Options of a store on an engine one process opens at a time.

    Attributes:
        lock_timeout: Seconds to keep retrying.
        wait: The same check under another name.
    """

    lock_timeout: float = option(default=5.0, check=checks.seconds)
    wait: float = option(default=1.0, check=checks.seconds)


@pytest.mark.parametrize(("value", "expected"), [(0, 0.0), (2, 2.0), (0.25, 0.25)])
def test_valid_lock_timeouts(value: object, expected: float) -> None:
    assert LockOptions(lock_timeout=value).lock_timeout == expected  # type: ignore[arg-type]
    built = LockOptions.build(None, {"lock_timeout": value}, store="demo")
    assert built.lock_timeout == expected


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
    with pytest.raises(InvalidOptionError, match=message):
        LockOptions(lock_timeout=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [True, None, "soon", -1, math.inf, math.nan])
def test_invalid_lock_timeouts_are_refused_from_keywords(value: object) -> None:
    with pytest.raises(InvalidOptionError, match="lock_timeout"):
        LockOptions.build(None, {"lock_timeout": value}, store="demo")


def test_the_option_name_is_in_the_message() -> None:
    with pytest.raises(InvalidOptionError, match="wait must be a number"):
        LockOptions(wait="x")  # type: ignore[arg-type]
