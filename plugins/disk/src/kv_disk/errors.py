"""Mapping :mod:`sqlite3` exceptions to kv errors, without echoing stored data.

:func:`translate_sqlite_error` maps what any SQLite file can raise (a busy,
read-only, full, damaged or foreign file; text that is not UTF-8; a closed
connection); :func:`translate_disk_error` is the store's hook, which adds
what is special to a diskcache directory::

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        return translate_disk_error(error, self.options.directory, self.options.timeout)
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

__all__ = ["sqlite_error_code", "translate_disk_error", "translate_sqlite_error"]

# SQLite's primary result codes (``sqlite3.SQLITE_*`` exist only from Python 3.11).
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26

# Used when the exception carries no code (Python 3.10): SQLite's own messages.
_CODE_BY_MESSAGE = {
    "database is locked": SQLITE_BUSY,
    "database table is locked": SQLITE_LOCKED,
    "attempt to write a readonly database": SQLITE_READONLY,
    "disk i/o error": SQLITE_IOERR,
    "database disk image is malformed": SQLITE_CORRUPT,
    "database or disk is full": SQLITE_FULL,
    "unable to open database file": SQLITE_CANTOPEN,
    "file is not a database": SQLITE_NOTADB,
}


def sqlite_error_code(error: sqlite3.Error) -> int | None:
    """SQLite's primary result code of ``error`` (from its message before Python 3.11)."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    return _CODE_BY_MESSAGE.get(str(error).strip().lower())


def translate_sqlite_error(
    error: Exception,
    path: str,
    timeout: float,
    *,
    noun: str = "database",
    file_noun: str | None = None,
) -> KeyValueError | None:
    """The kv error for a :mod:`sqlite3` exception on ``path`` (``None``: not mapped here).

    Args:
        error: The exception a ``sqlite3`` call raised.
        path: The database file (or directory) the messages name.
        timeout: The busy timeout in seconds, named by the "stayed locked" message.
        noun: What the messages call the database (``"database"``,
            ``"cache database"``).
        file_noun: What the "cannot open" message calls it (default: ``noun``
            followed by ``" file"``).

    Returns:
        ``StoreConnectionError`` for a closed connection, ``DeserializationError``
        for text that is not UTF-8 (sqlite3's message quotes the stored text, so
        it is never passed on), ``StoreTimeoutError`` for a busy or locked
        database, ``StoreSetupError`` for a file that cannot be opened or is not
        an SQLite database, ``ReadOnlyError``, ``StoreError`` for a full disk,
        an I/O error or a damaged file; ``None`` for anything else.
    """
    if isinstance(error, sqlite3.ProgrammingError) and "closed" in str(error):
        return StoreConnectionError("The database connection was closed during the call")
    if not isinstance(error, sqlite3.Error):
        return None
    message = str(error)
    if message.startswith("Could not decode to UTF-8"):
        return DeserializationError("Stored text is not valid UTF-8")
    code = sqlite_error_code(error)
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return StoreTimeoutError(
            f"The {noun} stayed locked by another connection for over {timeout:g}"
            " seconds (raise the 'timeout' option if this is expected)"
        )
    if code == SQLITE_CANTOPEN:
        opened = f"{noun} file" if file_noun is None else file_noun
        return StoreSetupError(f"Cannot open the {opened} {path!r}: {message}")
    if code == SQLITE_NOTADB:
        return StoreSetupError(f"{path!r} is not an SQLite database")
    if code == SQLITE_READONLY:
        return ReadOnlyError(f"The {noun} {path!r} is read-only: {message}")
    if code == SQLITE_FULL:
        return StoreError(f"The disk holding {path!r} is full")
    if code == SQLITE_IOERR:
        return StoreError(f"Disk I/O error on {path!r}: {message}")
    if code == SQLITE_CORRUPT:
        return StoreError(f"The {noun} {path!r} is damaged: {message}")
    return None


def translate_disk_error(error: Exception, path: str, timeout: float) -> KeyValueError | None:
    """The kv error for a :mod:`sqlite3` exception on the cache ``path`` (``None``: not mapped)."""
    translated = translate_sqlite_error(
        error, path, timeout, noun="cache database", file_noun="cache database"
    )
    if translated is not None:
        return translated
    if isinstance(error, sqlite3.OperationalError) and "no such table" in str(error):
        return StoreSetupError(f"{path!r} is not a diskcache database: {error}")
    return None
