"""kv's own lock on a database, and waiting for it: one process at a time.

Embedded engines (RocksDB, DuckDB, chDB) let one process at a time open a
database, but their own lock cannot be waited for cleanly: a failed open
reports the lock only vaguely (chDB), rewrites files on its way out
(rocksdict), or reads a file that the holder is still writing as it closes
(DuckDB); and the holder may let go between the failure and any look at its
lock, so "was that the lock?" has no reliable answer after the fact. kv
therefore takes its own lock first, with :func:`acquire`: an exclusive lock
on a lock file (``DIRECTORY/kv.lock``, or ``FILE.kv-lock`` beside a one-file
database), held from before the engine is opened until after it is closed
(:func:`release`). A kv process that finds it taken knows for certain that
another process has the database, and never touches the engine meanwhile.
:func:`open_locked` and :func:`close_and_release` (or :func:`close_engine`) do the whole sequence:
lock, open and prepare the engine (giving everything back if a step fails);
close it, then let go.

* The attempt never waits: a held lock is :class:`DirectoryBusyError` at once.
* Stores of one process on one database share one hold, counted: the lock
  is let go when the last of them releases it, from any thread.
* The lock dies with its process, so a killed process frees it.
* It works on Linux, macOS and Windows.

The lock is :class:`filelock.FileLock` (``flock`` on Unix, ``LockFileEx``
on Windows), one object per lock file, built so that it keeps exactly those
rules: ``thread_local=False`` (holds are taken and given back in worker
threads, not always the same one; filelock counts them), every attempt with
``blocking=False``, ``fallback_to_soft=False`` (on a file system without
``flock`` a soft lock would outlive a killed holder: fail instead) and
``preserve_lock_file=True`` (the lock file stays, on Windows too).

:func:`open_when_unlocked` opens an engine, retrying while another process
holds it (kv's lock, or the engine's own lock held by a program that is not
kv) until the store's ``lock_timeout`` (checked by :func:`kv.checks.seconds`)
has passed::

    async def _open(self) -> None:
        self._engine.handle = await open_when_unlocked(
            lambda: self._engine.finish(self._connect),
            is_locked=lambda error: isinstance(error, DirectoryBusyError),
            lock_timeout=self.options.lock_timeout,
            locked_error=lambda error: self._locked_error(),
        )

    def _connect(self) -> Rdict:  # in a worker thread
        db, self._engine.lock_token = open_locked(
            self._open_db, prepare=self._prepare_db, close=Rdict.close, directory=self.path
        )
        return db

    async def _close(self) -> None:
        await close_engine(self._engine, Rdict.close)

Used by kv-chdb, kv-duckdb and kv-rocksdb.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from filelock import FileLock, Timeout

from kv.blocking import Engine
from kv.errors import StoreTimeoutError

__all__ = [
    "LOCK_FILE",
    "DirectoryBusyError",
    "acquire",
    "close_and_release",
    "close_engine",
    "locked_error",
    "open_locked",
    "open_when_unlocked",
    "release",
]

T = TypeVar("T")

LOCK_FILE = "kv.lock"
"""The lock file's name inside the database directory."""


class DirectoryBusyError(Exception):
    """Another process holds kv's lock on the directory."""


_guard = threading.Lock()
_locks: dict[str, FileLock] = {}
"""Lock file (real path) -> its lock, while this process holds it."""

if hasattr(os, "register_at_fork"):  # a forked child holds nothing: it starts afresh
    os.register_at_fork(after_in_child=_locks.clear)


def acquire(directory: str, name: str = LOCK_FILE) -> str:
    """Take this process's hold on ``directory`` (which must exist), without waiting.

    Args:
        directory: The folder of the lock file (the database directory, or
            the folder of a one-file database).
        name: The lock file's name (``kv.lock``; for a one-file database,
            the file's name plus ``.kv-lock``).

    Returns:
        The token to pass to :func:`release`.

    Raises:
        DirectoryBusyError: another process holds the lock.
        OSError: the lock file cannot be opened or locked.
    """
    token = os.path.realpath(os.path.join(directory, name))
    with _guard:
        lock = _locks.get(token)
        if lock is None:
            lock = FileLock(
                token,
                mode=0o600,
                thread_local=False,
                fallback_to_soft=False,
                preserve_lock_file=True,
            )
        try:
            lock.acquire(blocking=False)  # held already by this process: counted
        except Timeout:
            raise DirectoryBusyError(f"another process holds {token!r}") from None
        _locks[token] = lock
        return token


def release(token: str) -> None:
    """Give back one hold taken by :func:`acquire`; the last one unlocks the directory."""
    with _guard:
        lock = _locks[token]
        try:
            lock.release()
        finally:
            if not lock.is_locked:
                del _locks[token]


def open_locked(
    open_engine: Callable[[], T],
    *,
    prepare: Callable[[T], object],
    close: Callable[[T], object],
    directory: str | None,
    name: str = LOCK_FILE,
) -> tuple[T, str | None]:
    """Take kv's lock, then open and prepare the engine (a blocking call: run it in a thread).

    A step that fails gives back what the steps before it took: a failed open
    releases the lock; a failed ``prepare`` closes the engine, then releases
    the lock.

    Args:
        open_engine: Opens the engine; called once the lock is held.
        prepare: Readies the opened engine (creates a table, checks its
            layout, sets options).
        close: Closes the engine.
        directory: The folder of the lock file (see :func:`acquire`), or
            ``None`` to take no lock (a private in-memory database).
        name: The lock file's name.

    Returns:
        The engine, and the token to pass to :func:`close_and_release`
        (``None`` without a lock).

    Raises:
        DirectoryBusyError: another process holds the lock.
        Exception: what ``open_engine`` or ``prepare`` raised.
    """
    token = None if directory is None else acquire(directory, name)
    try:
        engine = open_engine()
        try:
            prepare(engine)
        except BaseException:
            close(engine)
            raise
    except BaseException:
        if token is not None:
            release(token)
        raise
    return engine, token


def close_and_release(close: Callable[[T], object], engine: T, token: str | None) -> None:
    """Close an engine :func:`open_locked` opened, then give back its hold (even if
    closing failed): a blocking call, run it in a thread."""
    try:
        close(engine)
    finally:
        if token is not None:
            release(token)


def locked_error(
    database: str, lock_timeout: float, *, rule: str, holder: str = "another process"
) -> StoreTimeoutError:
    """The error of a database still locked by ``holder`` after ``lock_timeout`` seconds.

    Args:
        database: What is locked, for the message (``"The RocksDB database '/x'"``).
        lock_timeout: The seconds waited (the store's ``lock_timeout``).
        rule: The engine's rule, for the message (``"RocksDB lets one process
            open it at a time"``).
        holder: Who holds it, when the store can tell.
    """
    return StoreTimeoutError(
        f"{database} is locked by {holder}: {rule} (waited {lock_timeout:g} s; close the other"
        " store, or raise 'lock_timeout' to wait longer)"
    )


async def close_engine(engine: Engine[T], close: Callable[[T], object]) -> None:
    """Take ``engine``'s handle and close it with ``close`` in a worker thread, then give
    back the hold in ``engine.lock_token`` (see :func:`close_and_release`); nothing
    to do if the engine is not open."""
    handle = engine.close()
    token, engine.lock_token = engine.lock_token, None
    if handle is not None:
        await engine.finish(close_and_release, close, handle, token)


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
            in a worker thread that takes :func:`acquire` first); its result is
            returned.
        is_locked: Whether an exception ``open_once`` raised means "another
            holder has the lock" (:class:`DirectoryBusyError`, or the engine's
            own lock error). Any other exception propagates at once.
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
