"""The value files of a diskcache directory, opened without following symlinks.

diskcache keeps values of 32 KiB and more in files named ``ab/cd/<28 hex>.val``
under its directory (py-key-value's DiskStore writes large JSON documents this
way, as text). kv reads such a text file only when its name is exactly one
diskcache makes, and opens every component with ``O_NOFOLLOW`` relative to
the directory, so a tampered row or a planted symlink cannot make it read or
delete anything outside the cache directory.
"""

from __future__ import annotations

import contextlib
import os
import stat

from kv_disk.schema import VALUE_FILE_NAME

__all__ = ["read_value_file", "remove_value_file", "valid_value_file_name"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FD = os.open in os.supports_dir_fd and os.unlink in os.supports_dir_fd


def valid_value_file_name(filename: object) -> bool:
    """Whether ``filename`` is a value file name diskcache would have made."""
    return isinstance(filename, str) and VALUE_FILE_NAME.fullmatch(filename) is not None


def _open_parent(directory: str, parts: list[str]) -> int:
    """Open the folder holding the value file, refusing symlinked folders."""
    fd = os.open(directory, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for part in parts:
            child = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _check_no_links(directory: str, parts: list[str]) -> str:
    """Path fallback (no ``dir_fd``): refuse a path with a symlinked component."""
    path = directory
    for part in parts:
        path = os.path.join(path, part)
        if os.path.islink(path):
            raise OSError(f"{part!r} is a symbolic link")
    return path


def read_value_file(directory: str, filename: str) -> str:
    """The UTF-8 text of a value file.

    Raises:
        ValueError: the name is not one diskcache makes, the file is not a
            regular file, or its bytes are not UTF-8.
        OSError: the file cannot be opened (missing, a symlink, ...).
    """
    if not valid_value_file_name(filename):
        raise ValueError("the value file name is not one diskcache makes")
    parts = filename.split("/")
    if _DIR_FD:
        parent = _open_parent(directory, parts[:-1])
        try:
            fd = os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=parent)
        finally:
            os.close(parent)
    else:  # pragma: no cover - platforms without dir_fd (Windows)
        fd = os.open(_check_no_links(directory, parts), os.O_RDONLY | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ValueError("the value file is not a regular file")
        data = file.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the value file is not UTF-8 text") from None


def remove_value_file(directory: str, filename: object) -> None:
    """Delete a value file after its row is gone; never fails, never follows links."""
    if not valid_value_file_name(filename):
        return
    assert isinstance(filename, str)
    parts = filename.split("/")
    with contextlib.suppress(OSError):
        if _DIR_FD:
            parent = _open_parent(directory, parts[:-1])
            try:
                os.unlink(parts[-1], dir_fd=parent)
            finally:
                os.close(parent)
        else:  # pragma: no cover - platforms without dir_fd (Windows)
            os.unlink(_check_no_links(directory, parts))
