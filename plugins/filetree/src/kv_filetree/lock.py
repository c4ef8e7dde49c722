"""The lock of a ``file://`` tree's conditional operations, shared by every process.

``put_if_absent``, ``put_if_version`` and ``delete_if_version`` each read an
entry, compare and write while holding an exclusive lock on one file at the
root of the tree, ``.kv-lock`` (:data:`LOCK_NAME`), so two conditional
writers, in one process or in several, never both win. Removing an expired
file (:meth:`kv_filetree.tree.FileTree.cull`), and a plain ``delete`` that
finds a file at one of py-key-value's locations, hold it too once the lock
file exists (:meth:`TreeLock.held_if_used`), since they move a file out of
the way for a moment: a file that turns out to be newer, or another key's,
is put back, and a conditional write must not take it as absent meanwhile.
Plain ``put`` and ``delete`` otherwise do not take it.

The lock is :class:`filelock.FileLock` (``flock`` on Unix, ``LockFileEx`` on
Windows): it dies with its process, so a killed holder frees it. The lock
file is never removed: ``cull``, ``destroy`` and listings leave files at the
root whose names start with :data:`~kv_filetree.fs.PRIVATE_PREFIX` alone (a
lock file removed while held would let a second holder in), and it is never
followed if it is a symbolic link.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from filelock import FileLock, Timeout

from kv.errors import StoreSetupError, StoreTimeoutError
from kv_filetree.fs import PRIVATE_PREFIX

__all__ = ["LOCK_NAME", "LOCK_TIMEOUT", "TreeLock"]

LOCK_NAME = f"{PRIVATE_PREFIX}lock"
"""The lock file's name, at the root of the tree."""

LOCK_TIMEOUT = 60.0
"""Seconds a conditional operation waits for the lock before ``StoreTimeoutError``."""

_POLL_SECONDS = 0.001
"""How often a waiting operation tries the lock again."""


class TreeLock:
    """The conditional-write lock of the tree rooted at ``root`` (blocking calls).

    One object per :class:`~kv_filetree.tree.FileTree`: each holds its own
    descriptor, so it excludes other stores of this process and other
    processes alike.
    """

    def __init__(self, root: str, timeout: float = LOCK_TIMEOUT) -> None:
        self.path = os.path.join(root, LOCK_NAME)
        self._lock = FileLock(
            self.path,
            timeout=timeout,
            mode=0o600,
            thread_local=False,  # taken and given back by whichever worker thread runs the call
            fallback_to_soft=False,  # a soft lock would outlive a killed holder: fail instead
            preserve_lock_file=True,
        )

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the ``with`` block.

        Raises:
            StoreTimeoutError: another holder kept it for ``timeout`` seconds.
            StoreSetupError: the lock file cannot be opened or locked.
        """
        try:
            self._lock.acquire(poll_interval=_POLL_SECONDS)
        except Timeout:
            raise StoreTimeoutError(
                f"Another writer held the lock {self.path!r} of the file tree for over"
                f" {self._lock.timeout:g} seconds"
            ) from None
        except OSError as error:
            raise StoreSetupError(
                f"Cannot lock {self.path!r} for a conditional write: {error}"
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    def in_use(self) -> bool:
        """Whether a conditional write ever made the lock file (then
        :meth:`held_if_used` takes the lock, and may wait for it)."""
        return os.path.lexists(self.path)

    @contextlib.contextmanager
    def held_if_used(self) -> Iterator[None]:
        """Hold the lock for the ``with`` block if a conditional write ever made it.

        For plain operations that only need to keep conditional writes out: a
        tree never written conditionally gets no lock file from them.
        """
        if self.in_use():
            with self.held():
                yield
        else:
            yield
