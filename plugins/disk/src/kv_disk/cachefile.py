"""One diskcache-format SQLite database, read and written with :mod:`sqlite3`.

:class:`CacheFile` is the engine under ``disk://``: blocking calls, run by the
store in a worker thread, over one ``cache.db``. It speaks diskcache's format
(see :mod:`kv_disk.schema`) without importing diskcache, whose read path
unpickles values and keys (CVE-2025-69872). Rows kv cannot read safely (a
pickled key or value, a binary file) are reported, never loaded.

Writes run in ``BEGIN IMMEDIATE`` transactions on a WAL database with a busy
timeout, so several processes can share one directory without losing or
corrupting writes. Value files of rows that are replaced or deleted are
removed after the transaction commits, as diskcache does.

The WAL is checkpointed by kv, not by SQLite's automatic checkpoint, which
would run inside whichever commit crosses its threshold: on the event loop,
for an inline write (a checkpoint syncs the database file: milliseconds).
Every :data:`_CHECKPOINT_ROWS` rows written, the next write runs in the
store's thread and checkpoints after its commit.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kv.atomic import content_version
from kv.blocking import WouldBlock, running_inline
from kv.entry import StoredEntry, parse_timestamp
from kv.errors import DeserializationError
from kv.values import load_value
from kv_disk.errors import SQLITE_BUSY, SQLITE_LOCKED, sqlite_error_code
from kv_disk.schema import (
    CACHE_FILE,
    DEFAULT_SETTINGS,
    METADATA,
    MODE_BINARY,
    MODE_PICKLE,
    MODE_RAW,
    MODE_TEXT,
    SCHEMA,
    STORE_TIME_INDEX,
)
from kv_disk.valuefiles import read_value_file, remove_value_file

__all__ = ["CacheFile", "Fetched", "upper_bound"]

_decode = json.JSONDecoder().decode

_CHUNK = 500
"""Keys per ``IN (...)`` list, far below SQLite's bound-variable limit."""

# Every statement, as constants: only "?" parameters and, for "{marks}", one
# "?" per key of a chunk are ever put into SQL text.
_SELECT_ROWS = (
    "SELECT key, raw, mode, filename, value, expire_time, store_time FROM Cache"
    " WHERE key IN ({marks}) ORDER BY raw"
)
_SELECT_OLD_FILES = (
    "SELECT filename FROM Cache WHERE filename IS NOT NULL AND raw = 1 AND key IN ({marks})"
)
_UPSERT = (
    "INSERT INTO Cache (key, raw, store_time, expire_time, access_time,"
    " access_count, tag, size, mode, filename, value)"
    " VALUES (?, 1, ?, ?, ?, 0, NULL, 0, 1, NULL, ?)"
    " ON CONFLICT (key, raw) DO UPDATE SET store_time = excluded.store_time,"
    " expire_time = excluded.expire_time, access_time = excluded.access_time,"
    " access_count = 0, tag = NULL, size = 0, mode = 1, filename = NULL,"
    " value = excluded.value"
)
_SELECT_DOOMED = (
    "SELECT filename, (expire_time IS NULL OR expire_time > ?) FROM Cache"
    " WHERE raw = 1 AND key IN ({marks})"
)
_DELETE_KEYS = "DELETE FROM Cache WHERE raw = 1 AND key IN ({marks})"
_DELETE_KEYS_RETURNING = (
    "DELETE FROM Cache WHERE raw = 1 AND key IN ({marks})"
    " RETURNING filename, (expire_time IS NULL OR expire_time > ?)"
)
_HAS_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)
"""Whether this SQLite has ``DELETE ... RETURNING`` (one statement instead of two)."""

_CHECKPOINT_ROWS = 500
"""Rows written between two checkpoints of the WAL (see :meth:`CacheFile.writing`)."""
_KEY_PAGE = (
    "SELECT key FROM Cache WHERE key > ? AND raw = 1 AND typeof(key) = 'text'"
    " AND (expire_time IS NULL OR expire_time > ?) ORDER BY key LIMIT ?"
)
_KEY_PAGE_BELOW = (
    "SELECT key FROM Cache WHERE key > ? AND key < ? AND raw = 1"
    " AND (expire_time IS NULL OR expire_time > ?) ORDER BY key LIMIT ?"
)
_FIRST_KEY_FROM = (
    "SELECT key FROM Cache WHERE key >= ? AND raw = 1 AND typeof(key) = 'text'"
    " AND (expire_time IS NULL OR expire_time > ?) ORDER BY key LIMIT 1"
)
_FIRST_KEY_AFTER = (
    "SELECT key FROM Cache WHERE key > ? AND raw = 1 AND typeof(key) = 'text'"
    " AND (expire_time IS NULL OR expire_time > ?) ORDER BY key LIMIT 1"
)
_HAS_LIVE = "SELECT 1 FROM Cache WHERE raw = 1 AND (expire_time IS NULL OR expire_time > ?) LIMIT 1"
_HAS_LIVE_IN_RANGE = (
    "SELECT 1 FROM Cache WHERE key >= ? AND key < ? AND raw = 1"
    " AND (expire_time IS NULL OR expire_time > ?) LIMIT 1"
)
_FILES = "SELECT filename FROM Cache WHERE filename IS NOT NULL"
_FILES_IN_RANGE = "SELECT filename FROM Cache WHERE key >= ? AND key < ? AND filename IS NOT NULL"
_SELECT_ONE = (
    "SELECT raw, mode, filename, value, expire_time, store_time FROM Cache"
    " WHERE key = ? AND raw = 1"
)
_DELETE_ONE = "DELETE FROM Cache WHERE key = ? AND raw = 1"
_DELETE_ALL = "DELETE FROM Cache"
_DELETE_RANGE = "DELETE FROM Cache WHERE key >= ? AND key < ?"

Fetched = StoredEntry | str
"""A row read back: the entry, or why it cannot be read (a message)."""


def upper_bound(prefix: str) -> str:
    """The smallest text above every text starting with ``prefix`` (ends in ``:``)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _in(template: str, count: int) -> str:
    """``template`` with ``{marks}`` replaced by ``count`` parameters."""
    return template.replace("{marks}", ", ".join("?" * count))


_DELETE_ONE_RETURNING = _in(_DELETE_KEYS_RETURNING, 1)
"""The delete of one key: :data:`_DELETE_KEYS_RETURNING` for a single key."""


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE") -> Iterator[None]:
    """A transaction on ``connection``, rolled back if the block raises."""
    connection.execute(begin)
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def _connect(path: str, timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode whose statements wait up to ``timeout``
    seconds for another connection's lock (``0``: they fail at once)."""
    connection = sqlite3.connect(
        path, timeout=timeout, isolation_level=None, check_same_thread=False
    )
    try:
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA wal_autocheckpoint = 0")  # see CacheFile.writing()
    except BaseException:
        connection.close()
        raise
    return connection


class CacheFile:
    """A diskcache directory's ``cache.db``, opened by :meth:`open`.

    Args:
        directory: The cache directory (created on open).
        timeout: Seconds a statement waits for another connection's lock.
        max_size: Evict the least recently stored rows when the cache grows
            past this many bytes (diskcache's ``size_limit``: database pages
            in use plus value files); ``None``: never evict.
    """

    def __init__(self, directory: str, *, timeout: float, max_size: int | None) -> None:
        self.directory = directory
        self.timeout = timeout
        self.max_size = max_size
        self._connection: sqlite3.Connection | None = None
        # The same database, for calls on the event loop's thread: its busy timeout
        # is 0, so a statement that would wait for a lock fails at once instead.
        self._inline_connection: sqlite3.Connection | None = None
        self._page_size = 4096
        self._checkpointed = 0  # _changes() at the last checkpoint

    @property
    def path(self) -> str:
        """The database file."""
        return os.path.join(self.directory, CACHE_FILE)

    def exists(self) -> bool:
        """Whether the database file is there (without creating it)."""
        return os.path.isfile(self.path)

    # --- lifecycle -----------------------------------------------------------------

    def open(self) -> None:
        """Create the directory and the database (if missing) and connect."""
        if self._connection is not None:
            return
        os.makedirs(self.directory, exist_ok=True)
        connection = _connect(self.path, self.timeout)
        try:
            # auto_vacuum only takes effect before the first table is created.
            connection.execute("PRAGMA auto_vacuum = FULL")
            connection.execute("PRAGMA journal_mode = WAL")
            with _transaction(connection):
                for statement in SCHEMA:
                    connection.execute(statement)
                connection.executemany(
                    "INSERT OR IGNORE INTO Settings VALUES (?, ?)",
                    [*DEFAULT_SETTINGS.items(), *METADATA.items()],
                )
                if self.max_size is not None:
                    connection.executemany(
                        "INSERT OR REPLACE INTO Settings VALUES (?, ?)",
                        [
                            ("eviction_policy", "least-recently-stored"),
                            ("size_limit", self.max_size),
                        ],
                    )
                    connection.execute(STORE_TIME_INDEX)
            self._page_size = int(connection.execute("PRAGMA page_size").fetchone()[0])
            self._inline_connection = _connect(self.path, 0.0)
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    def close(self) -> None:
        """Close the connections (safe to call more than once)."""
        for connection in (self._connection, self._inline_connection):
            if connection is not None:
                connection.close()
        self._connection = self._inline_connection = None

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection for this call (opening it first if needed): running
        inline, the one that never waits for a lock (see :meth:`waiting_inline`)."""
        if self._connection is None:
            self.open()
        connection = self._inline_connection if running_inline() else self._connection
        assert connection is not None
        return connection

    @staticmethod
    def waiting_inline(error: BaseException) -> bool:
        """Whether ``error`` says a call running inline would have waited for a lock
        (then nothing was changed: the call runs again in the store's thread)."""
        return (
            isinstance(error, sqlite3.OperationalError)
            and sqlite_error_code(error) in (SQLITE_BUSY, SQLITE_LOCKED)
            and running_inline()
        )

    @contextlib.contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``) on the connection.

        Once :data:`_CHECKPOINT_ROWS` rows were written since the last
        checkpoint, the next write checkpoints the WAL after its commit
        (``PASSIVE``: it waits for no reader or writer); running inline, it
        raises :class:`~kv.blocking.WouldBlock` first, so that it runs in the
        store's thread and the checkpoint's sync never holds the event loop.
        """
        connection = self.connection
        due = self._checkpoint_due()
        with _transaction(connection):
            yield connection
        if due:
            self._checkpoint(connection)

    def _checkpoint_due(self) -> bool:
        """Whether the next write checkpoints (raising
        :class:`~kv.blocking.WouldBlock` if it runs inline: see :meth:`writing`)."""
        due = self._changes() - self._checkpointed >= _CHECKPOINT_ROWS
        if due and running_inline():
            raise WouldBlock
        return due

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        self._checkpointed = self._changes()

    def _changes(self) -> int:
        """Rows written through this file's connections since they opened."""
        return sum(c.total_changes for c in (self._connection, self._inline_connection) if c)

    def _remove_files(self, filenames: Iterable[object]) -> None:
        for filename in filenames:
            if filename is not None:
                remove_value_file(self.directory, filename)

    # --- reading ---------------------------------------------------------------------

    def fetch(self, db_keys: Sequence[str]) -> dict[str, Fetched]:
        """Read the rows of ``db_keys`` (text keys); absent keys are left out."""
        connection = self.connection
        rows: list[tuple[Any, ...]] = []
        if len(db_keys) == 1:
            rows = connection.execute(_in(_SELECT_ROWS, 1), (db_keys[0],)).fetchall()
        else:
            unique = list(dict.fromkeys(db_keys))
            begin = "BEGIN" if len(unique) > _CHUNK else None
            with contextlib.ExitStack() as stack:
                if begin is not None:  # one snapshot for every chunk
                    stack.enter_context(_transaction(connection, begin))
                for chunk in _chunks(unique):
                    sql = _in(_SELECT_ROWS, len(chunk))
                    rows.extend(connection.execute(sql, tuple(chunk)).fetchall())
        found: dict[str, Fetched] = {}
        for row in rows:  # ordered by raw: a raw (kv) row wins over a pickled-key row
            found[row[0]] = self._entry(*row[1:])
        return found

    def _entry(
        self,
        raw: object,
        mode: object,
        filename: object,
        value: object,
        expire_time: object,
        store_time: object,
    ) -> Fetched:
        """The entry of one row, or why it cannot be read. Never unpickles."""
        if raw != 1:
            return "Stored key is not raw text (diskcache pickled it); kv never loads pickles"
        if mode == MODE_RAW:
            if isinstance(value, bytes):
                try:
                    text = value.decode("utf-8")
                except UnicodeDecodeError:
                    return "Stored value is bytes that are not UTF-8 JSON"
            elif isinstance(value, str):
                text = value
            else:
                return f"Stored value is {_kind(value)}, not a JSON document"
        elif mode == MODE_TEXT:
            try:
                text = read_value_file(self.directory, filename)  # type: ignore[arg-type]
            except (OSError, ValueError) as error:
                reason = error.strerror if isinstance(error, OSError) else str(error)
                return f"Stored value file cannot be read: {reason}"
        elif mode == MODE_PICKLE:
            return "Stored value is a pickle (diskcache mode 4); kv never loads pickles"
        elif mode == MODE_BINARY:
            return "Stored value is a binary file (diskcache mode 2), not a JSON document"
        else:
            return f"Stored value has diskcache mode {mode!r}, which kv does not read"
        return _entry_from_document(text, expire_time, store_time)

    def key_page(self, after: str, upper: str | None, now: float, limit: int) -> list[str]:
        """Live text keys above ``after`` (and below ``upper``), in order."""
        if upper is None:
            rows = self.connection.execute(_KEY_PAGE, (after, now, limit))
        else:
            rows = self.connection.execute(_KEY_PAGE_BELOW, (after, upper, now, limit))
        return [row[0] for row in rows]

    def first_key(self, bound: str, inclusive: bool, now: float) -> str | None:
        """The first live text key at (or after) ``bound``."""
        sql = _FIRST_KEY_FROM if inclusive else _FIRST_KEY_AFTER
        row = self.connection.execute(sql, (bound, now)).fetchone()
        return None if row is None else str(row[0])

    def has_live(self, now: float) -> bool:
        """Whether any live row with a raw key exists."""
        return self.connection.execute(_HAS_LIVE, (now,)).fetchone() is not None

    def sample_text(self) -> str | None:
        """The text of one inline document (to learn a collection's name)."""
        row = self.connection.execute(
            "SELECT value FROM Cache WHERE raw = 1 AND mode = ? AND typeof(value) = 'text' LIMIT 1",
            (MODE_RAW,),
        ).fetchone()
        return None if row is None else str(row[0])

    # --- writing ---------------------------------------------------------------------

    def put(self, rows: Sequence[tuple[str, str, float, float | None]]) -> None:
        """Write ``(db_key, document, store_time, expire_time)`` rows; later ones win."""
        connection = self.connection
        old_files: list[object] = []
        with self.writing():
            keys = [row[0] for row in rows]
            for chunk in _chunks(keys):
                sql = _in(_SELECT_OLD_FILES, len(chunk))
                old_files.extend(name for (name,) in connection.execute(sql, tuple(chunk)))
            connection.executemany(
                _UPSERT,
                [(key, stored, expire, stored, text) for key, text, stored, expire in rows],
            )
            if self.max_size is not None and rows:
                newest = min(row[2] for row in rows)
                old_files.extend(self._evict(connection, self.max_size, newest))
        self._remove_files(old_files)

    # --- atomic operations ---------------------------------------------------------
    # Each runs in one BEGIN IMMEDIATE transaction: it holds the database's write
    # lock from its check to its write, so no other connection, in this process or
    # another, writes in between. The version is a hash of the row as stored.

    def versioned(self, db_key: str) -> tuple[Fetched, str] | None:
        """The row of ``db_key`` and its version, or ``None`` if absent."""
        row = self.connection.execute(_SELECT_ONE, (db_key,)).fetchone()
        return None if row is None else (self._entry(*row), content_version(*row))

    def put_if(
        self, row: tuple[str, str, float, float | None], version: str | None, now: float
    ) -> bool:
        """Write ``(db_key, document, store_time, expire_time)`` if the live row has
        ``version`` (``None``: if there is no live row); whether it wrote."""
        db_key, text, stored, expire = row
        connection = self.connection
        old_files: list[object] = []
        with self.writing():
            current = connection.execute(_SELECT_ONE, (db_key,)).fetchone()
            if not _matches(current, version, now):
                return False
            if current is not None:
                old_files.append(current[2])
            connection.execute(_UPSERT, (db_key, stored, expire, stored, text))
            if self.max_size is not None:
                old_files.extend(self._evict(connection, self.max_size, stored))
        self._remove_files(old_files)
        return True

    def delete_if(self, db_key: str, version: str, now: float) -> bool:
        """Delete ``db_key`` if its live row has ``version``; whether it did."""
        connection = self.connection
        with self.writing():
            current = connection.execute(_SELECT_ONE, (db_key,)).fetchone()
            if not _matches(current, version, now):
                return False
            connection.execute(_DELETE_ONE, (db_key,))
        self._remove_files([current[2]])
        return True

    def volume(self) -> int:
        """Bytes in use, as diskcache counts them: database pages plus value files."""
        return self._volume(self.connection)

    def _volume(self, connection: sqlite3.Connection) -> int:
        pages = int(connection.execute("PRAGMA page_count").fetchone()[0])
        free = int(connection.execute("PRAGMA freelist_count").fetchone()[0])
        row = connection.execute("SELECT value FROM Settings WHERE key = 'size'").fetchone()
        files = int(row[0]) if row is not None and isinstance(row[0], int) else 0
        return (pages - free) * self._page_size + files

    def _evict(self, connection: sqlite3.Connection, limit: int, before: float) -> list[object]:
        """Delete the least recently stored rows until the volume fits ``limit``.

        Only rows stored before ``before`` go: the entries being written stay,
        even one larger than the limit on its own.
        """
        removed: list[object] = []
        while True:
            excess = self._volume(connection) - limit
            if excess <= 0:
                return removed
            victims: list[int] = []
            freed = 0
            for rowid, filename, cost in connection.execute(
                "SELECT rowid, filename, length(CAST(key AS BLOB))"
                " + ifnull(length(CAST(value AS BLOB)), 0) + size + 16"
                " FROM Cache WHERE store_time < ? ORDER BY store_time, rowid LIMIT 1000",
                (before,),
            ):
                victims.append(rowid)
                removed.append(filename)
                freed += int(cost or 0)
                if freed >= excess + self._page_size:
                    break
            if not victims:
                return removed
            connection.executemany("DELETE FROM Cache WHERE rowid = ?", [(r,) for r in victims])

    def delete(self, db_keys: Sequence[str], now: float) -> int:
        """Delete ``db_keys`` (expired rows too); return how many were live."""
        connection = self.connection
        unique = list(dict.fromkeys(db_keys))
        live = 0
        files: list[object] = []
        with self.writing():
            for chunk in _chunks(unique):
                if _HAS_RETURNING:
                    sql = _in(_DELETE_KEYS_RETURNING, len(chunk))
                    doomed = connection.execute(sql, (*chunk, now)).fetchall()
                else:
                    sql = _in(_SELECT_DOOMED, len(chunk))
                    doomed = connection.execute(sql, (now, *chunk)).fetchall()
                    connection.execute(_in(_DELETE_KEYS, len(chunk)), tuple(chunk))
                for filename, is_live in doomed:
                    live += int(bool(is_live))
                    files.append(filename)
        self._remove_files(files)
        return live

    def delete_one(self, db_key: str, now: float) -> bool:
        """Delete ``db_key`` (an expired row too); whether its row was live.

        One ``DELETE ... RETURNING`` statement, atomic on its own: no explicit
        transaction around it.
        """
        if not _HAS_RETURNING:
            return self.delete([db_key], now) == 1
        connection = self.connection
        due = self._checkpoint_due()
        row = connection.execute(_DELETE_ONE_RETURNING, (db_key, now)).fetchone()
        if due:
            self._checkpoint(connection)
        if row is None:
            return False
        self._remove_files([row[0]])
        return bool(row[1])

    def delete_range(self, lower: str | None, upper: str | None, now: float) -> bool:
        """Delete every row (or those with keys in ``[lower, upper)``); any live?"""
        if lower is None:
            statements = (_HAS_LIVE, _FILES, _DELETE_ALL)
            params: tuple[object, ...] = ()
        else:
            statements = (_HAS_LIVE_IN_RANGE, _FILES_IN_RANGE, _DELETE_RANGE)
            params = (lower, upper)
        has_live, select_files, delete = statements
        connection = self.connection
        with self.writing():
            live = connection.execute(has_live, (*params, now)).fetchone()
            files = [name for (name,) in connection.execute(select_files, params)]
            connection.execute(delete, params)
        self._remove_files(files)
        return live is not None

    def cull(self, now: float, limit: int | None) -> int:
        """Delete rows that expired at or before ``now`` (at most ``limit``)."""
        connection = self.connection
        with self.writing():
            rows = connection.execute(
                "SELECT rowid, filename FROM Cache WHERE expire_time <= ?"
                " ORDER BY expire_time LIMIT ?",
                (now, -1 if limit is None else limit),
            ).fetchall()
            if rows:
                connection.executemany("DELETE FROM Cache WHERE rowid = ?", [(r,) for r, _ in rows])
        self._remove_files(filename for _, filename in rows)
        return len(rows)


def _matches(row: tuple[Any, ...] | None, version: str | None, now: float) -> bool:
    """Whether a row (as :data:`_SELECT_ONE` reads it) is what a conditional write
    expects: no live row for ``version=None``, else a live row with that version."""
    if row is None or (row[4] is not None and row[4] <= now):
        return version is None  # absent, or expired: absent
    return version is not None and content_version(*row) == version


def _entry_from_document(text: str, expire_time: object, store_time: object) -> Fetched:
    """The entry of a document, its expiry from the row (as diskcache and py-key-value).

    The document's own timestamps are only read when the row has no
    ``expire_time``; ``created_at`` is the row's ``store_time``.
    """
    try:
        document = _decode(text)
    except (ValueError, RecursionError) as error:
        return f"Stored document is not valid JSON: {error}"
    if type(document) is not dict:
        return f"Stored document is a JSON {type(document).__name__}, not an object"
    if "value" not in document:
        return "Stored document has no 'value' field"
    value = document["value"]
    try:
        if type(value) is str:
            value = load_value(value)  # py-key-value's value_format="string"
        elif type(value) is not dict:
            return f"Stored document's 'value' is a {type(value).__name__}, not an object"
        if expire_time is None:
            stored = document.get("expires_at")
            expires_at = None if stored is None else parse_timestamp(stored)
        elif isinstance(expire_time, bool) or not isinstance(expire_time, (int, float)):
            return f"Stored expire_time is {_kind(expire_time)}, not a number"
        else:
            expires_at = float(expire_time)
    except DeserializationError as error:
        return error.message
    created_at = float(store_time) if isinstance(store_time, (int, float)) else None
    return StoredEntry(None, created_at, expires_at, value)


def _kind(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return "an INTEGER"
    if isinstance(value, float):
        return "a REAL"
    if isinstance(value, bytes):
        return "a BLOB"
    return "TEXT"
