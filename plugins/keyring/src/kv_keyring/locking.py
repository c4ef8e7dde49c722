"""A lock shared by every process that uses the same keyring.

A keyring has no transactions, and the store keeps an index beside the
entries, so each write is a read-modify-write. Writers take this lock
exclusively, readers take it shared (on Windows, where ``msvcrt`` offers no
shared mode, readers take it exclusively too). It is an advisory lock on a
small file (``fcntl.flock`` / ``msvcrt.locking``): every kv process using the
same lock file agrees, and the lock dies with its process, so a crash never
leaves it held.

Each acquisition opens the lock file anew, so two threads of one process
exclude each other exactly like two processes do.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from kv.errors import StoreSetupError, StoreTimeoutError

__all__ = ["FileLock"]

_POLL_SECONDS = 0.005
_MAX_POLL_SECONDS = 0.05


class FileLock:
    """An advisory inter-process lock on ``path``.

    Args:
        path: The lock file (created with its folder if missing; never deleted).
        timeout: Seconds to wait for the lock before :class:`StoreTimeoutError`.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<FileLock {str(self.path)!r}>"

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise StoreSetupError(
                f"Cannot open the lock file {str(self.path)!r}: {error}"
            ) from None

    @contextlib.contextmanager
    def hold(self, *, shared: bool = False) -> Iterator[None]:
        """Hold the lock for the ``with`` block (``shared``: alongside other readers)."""
        fd = self._open()
        try:
            self._acquire(fd, shared)
            try:
                yield
            finally:
                _release(fd)
        finally:
            os.close(fd)

    def _acquire(self, fd: int, shared: bool) -> None:
        deadline = time.monotonic() + self.timeout
        pause = _POLL_SECONDS
        while not _try_lock(fd, shared):
            if time.monotonic() >= deadline:
                raise StoreTimeoutError(
                    f"Another process held the keyring lock {str(self.path)!r} for over"
                    f" {self.timeout:g} seconds (raise the 'lock_timeout' option if this is"
                    " expected)"
                )
            time.sleep(pause)
            pause = min(pause * 2, _MAX_POLL_SECONDS)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int, shared: bool) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _release(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int, shared: bool) -> bool:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
