"""kv's own lock on a database: one process at a time, stores of a process together.

An embedded engine's own lock cannot be waited for cleanly: a failed open
reports the lock only vaguely (chDB), rewrites files on its way out
(rocksdict), or reads a file that the holder is still writing as it closes
(DuckDB); and the holder may let go between the failure and any look at its
lock, so "was that the lock?" has no reliable answer after the fact. kv
therefore takes its own lock first: an exclusive ``flock`` (on Windows
``msvcrt.locking``) on a lock file (``DIRECTORY/kv.lock``, or
``FILE.kv-lock`` beside a one-file database), held from before the engine is
opened until after it is closed. A kv process that finds it taken knows for
certain that another process has the database, and never touches the engine
meanwhile. Stores of one process on one database share one hold (counted);
the lock dies with its process, so a killed process frees it.

Used by kv-chdb, kv-duckdb and kv-rocksdb.
"""

from __future__ import annotations

import os
import sys
import threading

__all__ = ["LOCK_FILE", "DirectoryBusyError", "acquire", "release"]

LOCK_FILE = "kv.lock"
"""The lock file's name inside the database directory."""


class DirectoryBusyError(Exception):
    """Another process holds kv's lock on the directory."""


_guard = threading.Lock()
_held: dict[str, tuple[int, int]] = {}
"""Lock file (real path) -> (its descriptor, stores holding it)."""


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
        OSError: the lock file cannot be opened.
    """
    token = os.path.realpath(os.path.join(directory, name))
    with _guard:
        held = _held.get(token)
        if held is not None:
            _held[token] = (held[0], held[1] + 1)
            return token
        fd = os.open(token, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            locked = _try_lock(fd)
        except BaseException:
            os.close(fd)
            raise
        if not locked:
            os.close(fd)
            raise DirectoryBusyError(f"another process holds {token!r}")
        _held[token] = (fd, 1)
        return token


def release(token: str) -> None:
    """Give back one hold taken by :func:`acquire`; the last one unlocks the directory."""
    with _guard:
        fd, count = _held[token]
        if count > 1:
            _held[token] = (fd, count - 1)
            return
        del _held[token]
    try:
        _unlock(fd)
    finally:
        os.close(fd)  # closing the descriptor releases the lock in any case


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
