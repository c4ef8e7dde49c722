"""Real sqlite3 exceptions become kv errors that never quote stored data."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from kv.errors import (
    DeserializationError,
    ReadOnlyError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)
from kv_sqlite.errors import translate_sqlite_error


def raised(call: Callable[[], object]) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as caught:
        call()
    return caught.value


def test_a_closed_connection_is_a_connection_error() -> None:
    connection = sqlite3.connect(":memory:")
    connection.close()
    error = raised(lambda: connection.execute("SELECT 1"))
    assert isinstance(translate_sqlite_error(error, "p", 5), StoreConnectionError)


def test_a_locked_database_is_a_timeout_naming_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        error = raised(lambda: other.execute("SELECT * FROM sqlite_master"))
        translated = translate_sqlite_error(error, str(path), 2.5)
        assert isinstance(translated, StoreTimeoutError)
        assert "locked" in str(translated)
        assert "2.5 seconds" in str(translated)
    finally:
        holder.close()
        other.close()


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "text"
    path.write_bytes(b"not a database, secret text " * 100)
    connection = sqlite3.connect(path)
    try:
        error = raised(lambda: connection.execute("SELECT * FROM sqlite_master"))
    finally:
        connection.close()
    translated = translate_sqlite_error(error, str(path), 5)
    assert isinstance(translated, StoreSetupError)
    assert str(translated) == f"{str(path)!r} is not an SQLite database"


def test_a_file_that_cannot_be_opened(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "db.sqlite"
    error = raised(lambda: sqlite3.connect(path))
    translated = translate_sqlite_error(error, str(path), 5)
    assert isinstance(translated, StoreSetupError)
    assert str(translated).startswith(f"Cannot open the database file {str(path)!r}")


def test_a_read_only_database(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    sqlite3.connect(path).close()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        error = raised(lambda: connection.execute("CREATE TABLE t (x)"))
    finally:
        connection.close()
    translated = translate_sqlite_error(error, str(path), 5)
    assert isinstance(translated, ReadOnlyError)
    assert str(translated) == f"The database {str(path)!r} is read-only"


def test_text_that_is_not_utf8_is_never_quoted() -> None:
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE TABLE t (v TEXT)")
        connection.execute("INSERT INTO t VALUES (CAST(X'7365637265748F' AS TEXT))")
        error = raised(lambda: connection.execute("SELECT v FROM t").fetchall())
    finally:
        connection.close()
    translated = translate_sqlite_error(error, "p", 5)
    assert isinstance(translated, DeserializationError)
    assert "secret" not in str(translated)


@pytest.mark.parametrize(
    "message", ["database or disk is full", "disk I/O error", "database disk image is malformed"]
)
def test_failures_known_by_their_message(message: str) -> None:
    translated = translate_sqlite_error(sqlite3.OperationalError(message), "p", 5)
    assert type(translated) is StoreError
    assert str(translated) == f"The database 'p' failed: {message}"


def test_what_is_not_mapped_returns_none() -> None:
    assert translate_sqlite_error(ValueError("x"), "p", 5) is None
    assert translate_sqlite_error(sqlite3.OperationalError("no such table: t"), "p", 5) is None
