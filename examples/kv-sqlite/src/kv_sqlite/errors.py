"""The kv error for each :mod:`sqlite3` exception, never quoting stored data.

The store's ``_translate_error`` hook calls :func:`translate_sqlite_error`; what
it leaves (``None``) the base store handles.
"""

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

__all__ = ["is_busy", "translate_sqlite_error"]

# SQLite's primary result codes (``sqlite3.SQLITE_*`` exist only from Python 3.11).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26

_CODE_OF_MESSAGE = {
    "database is locked": _BUSY,
    "database table is locked": _LOCKED,
    "attempt to write a readonly database": _READONLY,
    "disk i/o error": _IOERR,
    "database disk image is malformed": _CORRUPT,
    "database or disk is full": _FULL,
    "unable to open database file": _CANTOPEN,
    "file is not a database": _NOTADB,
}
"""SQLite's own messages: Python 3.10's exceptions carry no result code."""


def is_busy(error: sqlite3.Error) -> bool:
    """Whether ``error`` says another connection holds a lock the statement needed."""
    code = getattr(error, "sqlite_errorcode", None)
    code = code & 0xFF if isinstance(code, int) else _CODE_OF_MESSAGE.get(str(error).lower())
    return code in (_BUSY, _LOCKED)


def translate_sqlite_error(error: Exception, path: str, timeout: float) -> KeyValueError | None:
    """The kv error for ``error``, raised by sqlite3 on the database ``path``.

    Returns ``None`` for what is not sqlite3's or not known here.
    """
    if isinstance(error, sqlite3.ProgrammingError) and "closed" in str(error):
        return StoreConnectionError("The database connection was closed during the call")
    if not isinstance(error, sqlite3.Error):
        return None
    message = str(error)
    if message.startswith("Could not decode to UTF-8"):  # the message quotes the stored text
        return DeserializationError("Stored text is not valid UTF-8")
    code = getattr(error, "sqlite_errorcode", None)
    code = code & 0xFF if isinstance(code, int) else _CODE_OF_MESSAGE.get(message.lower())
    if is_busy(error):
        return StoreTimeoutError(
            f"The database stayed locked by another connection for over {timeout:g} seconds"
        )
    if code == _CANTOPEN:
        return StoreSetupError(f"Cannot open the database file {path!r}: {message}")
    if code == _NOTADB:
        return StoreSetupError(f"{path!r} is not an SQLite database")
    if code == _READONLY:
        return ReadOnlyError(f"The database {path!r} is read-only")
    if code in (_IOERR, _CORRUPT, _FULL):
        return StoreError(f"The database {path!r} failed: {message}")
    return None
