"""Mapping :mod:`sqlite3` exceptions to kv errors, without echoing stored data.

The mapping every SQLite-backed store shares is :func:`kv.sqlite_errors.translate_sqlite_error`;
this module adds what is special to a diskcache directory.
"""

from __future__ import annotations

import sqlite3

from kv.errors import KeyValueError, StoreSetupError
from kv.sqlite_errors import translate_sqlite_error as translate_any_sqlite_error

__all__ = ["translate_sqlite_error"]


def translate_sqlite_error(error: Exception, path: str, timeout: float) -> KeyValueError | None:
    """The kv error for a :mod:`sqlite3` exception on ``path`` (``None``: not sqlite's)."""
    translated = translate_any_sqlite_error(
        error, path, timeout, noun="cache database", file_noun="cache database"
    )
    if translated is not None:
        return translated
    if isinstance(error, sqlite3.OperationalError) and "no such table" in str(error):
        return StoreSetupError(f"{path!r} is not a diskcache database: {error}")
    return None
