"""Mapping :mod:`sqlite3` exceptions to kv errors, without echoing stored data."""

from __future__ import annotations

import sqlite3

from kv.errors import (
    DeserializationError,
    KeyValueError,
    ReadOnlyError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)

__all__ = ["translate_sqlite_error"]

# SQLite's primary result codes (``sqlite3.SQLITE_*`` exist only from Python 3.11).
_BUSY = 5
_LOCKED = 6
_READONLY = 8
_IOERR = 10
_CORRUPT = 11
_FULL = 13
_CANTOPEN = 14
_NOTADB = 26

# Used when the exception carries no code (Python 3.10): SQLite's own messages.
_CODE_BY_MESSAGE = {
    "database is locked": _BUSY,
    "database table is locked": _LOCKED,
    "attempt to write a readonly database": _READONLY,
    "disk i/o error": _IOERR,
    "database disk image is malformed": _CORRUPT,
    "database or disk is full": _FULL,
    "unable to open database file": _CANTOPEN,
    "file is not a database": _NOTADB,
}


def _code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    return _CODE_BY_MESSAGE.get(str(error).strip().lower())


def translate_sqlite_error(error: Exception, path: str, timeout: float) -> KeyValueError | None:
    """The kv error for a :mod:`sqlite3` exception on ``path`` (``None``: not sqlite's)."""
    if isinstance(error, sqlite3.ProgrammingError) and "closed" in str(error):
        return StoreConnectionError("The database connection was closed during the call")
    if not isinstance(error, sqlite3.Error):
        return None
    message = str(error)
    if message.startswith("Could not decode to UTF-8"):
        return DeserializationError("Stored text is not valid UTF-8")
    code = _code(error)
    if code in (_BUSY, _LOCKED):
        return StoreTimeoutError(
            f"The cache database stayed locked by another connection for over {timeout:g}"
            " seconds (raise the 'timeout' option if this is expected)"
        )
    if code == _CANTOPEN:
        return StoreSetupError(f"Cannot open the cache database {path!r}: {message}")
    if code == _NOTADB:
        return StoreSetupError(f"{path!r} is not an SQLite database")
    if code == _READONLY:
        return ReadOnlyError(f"The cache database {path!r} is read-only: {message}")
    if code == _FULL:
        return StoreError(f"The disk holding {path!r} is full")
    if code == _IOERR:
        return StoreError(f"Disk I/O error on {path!r}: {message}")
    if code == _CORRUPT:
        return StoreError(f"The cache database {path!r} is damaged: {message}")
    if isinstance(error, sqlite3.OperationalError) and "no such table" in message:
        return StoreSetupError(f"{path!r} is not a diskcache database: {message}")
    return None
