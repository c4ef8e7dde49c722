"""File operations inside the store's folder that never follow a symbolic link.

Every operation names one path component relative to an open directory
(:class:`Folder`): the store's root, or a collection folder opened from it
with ``O_NOFOLLOW``. A symlinked collection folder or entry file is refused
with :class:`~kv.errors.PathSecurityError`, so nothing outside the root is
ever read, written or deleted, whatever links are planted in the tree.

Writes are atomic: the document goes to a temporary file in the same folder
(``O_EXCL``, optionally ``fsync``-ed), which then replaces the entry with one
``rename``. Deletes first rename the entry to a private name, so a concurrent
writer's newer file is never removed by mistake (:meth:`Folder.take` and
:meth:`Folder.give_back`).

On platforms without ``dir_fd`` support (Windows) the same operations use
paths and check each component with ``lstat`` first; there a race with a
process planting links is not excluded.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from typing import NamedTuple

from kv.errors import DeserializationError, PathSecurityError

__all__ = ["DIR_FD", "PRIVATE_PREFIX", "Folder", "Listed", "open_root"]

DIR_FD = (
    os.open in os.supports_dir_fd
    and os.rename in os.supports_dir_fd
    and os.unlink in os.supports_dir_fd
    and os.mkdir in os.supports_dir_fd
    and os.scandir in os.supports_fd
)
"""Whether this platform offers the ``*at()`` calls the safe path needs."""

PRIVATE_PREFIX = ".kv-"
"""Temporary, taken and trashed names start with this; no entry name does
(:func:`kv.names.encode_path_segment` never writes ``.k`` at the start)."""

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_FILE_MODE = 0o600


class Listed(NamedTuple):
    """One name in a folder listing (links are neither files nor folders)."""

    name: str
    is_file: bool
    is_dir: bool
    mtime: float


def _private_name(kind: str) -> str:
    return f"{PRIVATE_PREFIX}{kind}-{secrets.token_hex(8)}"


def _link_error(name: str) -> PathSecurityError:
    return PathSecurityError(
        f"{name!r} in the store's folder is a symbolic link; kv does not follow links"
    )


class Folder:
    """An open folder of the tree; names given to its methods are single components."""

    def __init__(self, path: str, fd: int | None) -> None:
        self.path = path
        self.fd = fd

    def close(self) -> None:
        """Close the folder's descriptor."""
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _join(self, name: str) -> str:
        return os.path.join(self.path, name)

    def _check_not_link(self, name: str) -> None:
        """Path fallback: refuse a symlink at ``name``."""
        if os.path.islink(self._join(name)):
            raise _link_error(name)

    # --- folders -------------------------------------------------------------------

    def subfolder(self, name: str, *, create: bool) -> Folder | None:
        """Open the folder ``name`` (creating it if ``create``); ``None`` if absent.

        Raises:
            PathSecurityError: ``name`` is a symbolic link.
        """
        while True:
            try:
                return self._open_subfolder(name)
            except FileNotFoundError:
                if not create:
                    return None
            try:
                if self.fd is not None:
                    os.mkdir(name, 0o777, dir_fd=self.fd)
                else:  # pragma: no cover - platforms without dir_fd
                    os.mkdir(self._join(name))
            except FileExistsError:
                pass  # another process made it; open it

    def _open_subfolder(self, name: str) -> Folder:
        path = self._join(name)
        if self.fd is None:  # pragma: no cover - platforms without dir_fd
            self._check_not_link(name)
            if not os.path.isdir(path):
                raise FileNotFoundError(errno.ENOENT, "no such folder", path)
            return Folder(path, None)
        try:
            fd = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=self.fd)
        except OSError as error:
            if error.errno == errno.ELOOP or (
                error.errno == errno.ENOTDIR and os.path.islink(path)
            ):
                raise _link_error(name) from None
            raise
        return Folder(path, fd)

    def remove_folder(self, name: str) -> bool:
        """Remove the folder ``name`` if it is empty; whether it was removed."""
        try:
            if self.fd is not None:
                os.rmdir(name, dir_fd=self.fd)
            else:  # pragma: no cover - platforms without dir_fd
                os.rmdir(self._join(name))
        except OSError:
            return False
        return True

    def rename(self, name: str, new_name: str) -> bool:
        """Rename ``name`` (a file or folder, never followed) over ``new_name``; ``False``
        if absent."""
        try:
            self._replace(name, new_name)
        except FileNotFoundError:
            return False
        return True

    def _replace(self, name: str, new_name: str) -> None:
        if self.fd is not None:
            os.rename(name, new_name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        else:  # pragma: no cover - platforms without dir_fd
            os.replace(self._join(name), self._join(new_name))

    def listing(self) -> list[Listed]:
        """Every name in the folder, symlinks marked as neither file nor folder."""
        found = []
        target: int | str = self.fd if self.fd is not None else self.path
        with os.scandir(target) as entries:
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                mode = info.st_mode
                found.append(
                    Listed(entry.name, stat.S_ISREG(mode), stat.S_ISDIR(mode), info.st_mtime)
                )
        return found

    def file_names(self) -> list[str]:
        """The names of the regular files in the folder (symlinks left out), read
        from the directory itself: no ``stat`` per file where the file system
        gives each entry's type, as Linux's do."""
        target: int | str = self.fd if self.fd is not None else self.path
        with os.scandir(target) as entries:
            return [entry.name for entry in entries if _is_regular_file(entry)]

    # --- files ---------------------------------------------------------------------

    def read(self, name: str) -> bytes | None:
        """The bytes of the regular file ``name``; ``None`` if absent.

        Raises:
            PathSecurityError: ``name`` is a symbolic link.
            DeserializationError: ``name`` is not a regular file.
        """
        found = self.read_with_identity(name)
        return None if found is None else found[0]

    def read_with_identity(self, name: str) -> tuple[bytes, tuple[int, int]] | None:
        """Like :meth:`read`, with the file's ``(inode, mtime_ns)`` as read."""
        try:
            if self.fd is not None:
                fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=self.fd)
            else:  # pragma: no cover - platforms without dir_fd
                self._check_not_link(name)
                fd = os.open(self._join(name), os.O_RDONLY | _BINARY)
        except FileNotFoundError:
            return None
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise _link_error(name) from None
            if error.errno in (errno.EISDIR, errno.ENXIO):
                raise DeserializationError(f"{name!r} is not a regular file") from None
            raise
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise DeserializationError(f"{name!r} is not a regular file")
            data = os.read(fd, info.st_size + 1)
            if len(data) > info.st_size:  # it grew since fstat: read the rest
                chunks = [data]
                while chunk := os.read(fd, 65536):
                    chunks.append(chunk)
                data = b"".join(chunks)
        finally:
            os.close(fd)
        return data, (info.st_ino, info.st_mtime_ns)

    def identity(self, name: str) -> tuple[int, int] | None:
        """``(inode, mtime_ns)`` of ``name`` (not followed); ``None`` if absent."""
        try:
            if self.fd is not None:
                info = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
            else:  # pragma: no cover - platforms without dir_fd
                info = os.lstat(self._join(name))
        except FileNotFoundError:
            return None
        return info.st_ino, info.st_mtime_ns

    def write(self, name: str, data: bytes, *, fsync: bool) -> None:
        """Replace ``name`` with ``data`` atomically (a temporary file, then rename).

        Raises:
            FileNotFoundError: the folder was removed meanwhile (the caller
                opens it again and retries).
        """
        self._move(self._write_temporary(data, fsync=fsync), name)

    def _move(self, temporary: str, name: str) -> None:
        """Rename the file ``temporary`` over ``name``; remove it if that fails."""
        try:
            self._replace(temporary, name)
        except BaseException:
            self.unlink(temporary)
            raise

    def create(self, name: str, data: bytes, *, fsync: bool) -> bool:
        """Write ``data`` as ``name`` only if nothing is there; whether it did.

        The complete temporary file is hard-linked to ``name``, which fails
        if ``name`` exists, so a file another writer put there meanwhile is
        never replaced, and a reader never sees a partial file. On a file
        system without hard links the temporary file replaces ``name``
        (:meth:`write`), and that exclusion is lost.

        Raises:
            FileNotFoundError: the folder was removed meanwhile.
        """
        temporary = self._write_temporary(data, fsync=fsync)
        try:
            if self.fd is not None:
                os.link(
                    temporary,
                    name,
                    src_dir_fd=self.fd,
                    dst_dir_fd=self.fd,
                    follow_symlinks=False,
                )
            else:  # pragma: no cover - platforms without dir_fd
                os.link(self._join(temporary), self._join(name))
        except FileExistsError:
            self.unlink(temporary)
            return False
        except FileNotFoundError:
            self.unlink(temporary)
            raise
        except OSError:  # no hard links on this file system: replace instead
            self._move(temporary, name)
            return True
        except BaseException:
            self.unlink(temporary)
            raise
        self.unlink(temporary)
        return True

    def _write_temporary(self, data: bytes, *, fsync: bool) -> str:
        """Write ``data`` to a new private file of this folder; return its name."""
        temporary = _private_name("tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
        if self.fd is not None:
            fd = os.open(temporary, flags, _FILE_MODE, dir_fd=self.fd)
        else:  # pragma: no cover - platforms without dir_fd
            fd = os.open(self._join(temporary), flags, _FILE_MODE)
        try:
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                if fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            self.unlink(temporary)
            raise
        return temporary

    def unlink(self, name: str) -> None:
        """Delete the file (or link) ``name`` if it is there."""
        with contextlib.suppress(FileNotFoundError):
            if self.fd is not None:
                os.unlink(name, dir_fd=self.fd)
            else:  # pragma: no cover - platforms without dir_fd
                os.unlink(self._join(name))

    def take(self, name: str) -> str | None:
        """Move ``name`` out of the way under a private name; ``None`` if absent.

        The caller reads the taken file, then deletes it or gives it back.
        """
        taken = _private_name("del")
        return taken if self.rename(name, taken) else None

    def give_back(self, taken: str, name: str) -> None:
        """Put a taken file back under ``name``, unless something newer is there."""
        try:
            if self.fd is not None:
                os.link(taken, name, src_dir_fd=self.fd, dst_dir_fd=self.fd, follow_symlinks=False)
            else:  # pragma: no cover - platforms without dir_fd
                os.link(self._join(taken), self._join(name))
        except FileExistsError:
            pass  # a newer write took the name: the taken file is superseded
        except OSError:  # no hard links here: rename back unless a newer file exists
            if self.identity(name) is None:
                self.rename(taken, name)
                return
        self.unlink(taken)


@contextlib.contextmanager
def open_root(path: str) -> Iterator[Folder]:
    """Open the store's root folder (which must exist) for one batch of operations."""
    if DIR_FD:
        fd = os.open(path, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        folder = Folder(path, fd)
    else:  # pragma: no cover - platforms without dir_fd
        folder = Folder(path, None)
    try:
        yield folder
    finally:
        folder.close()


def _is_regular_file(entry: os.DirEntry[str]) -> bool:
    """Whether ``entry`` is a regular file (not a symlink); ``False`` once removed."""
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:  # removed meanwhile, where the type needs a stat
        return False
