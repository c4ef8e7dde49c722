"""``sqlite://``: a kv store in one SQLite database file.

Every entry is one row of one table (``kv_entries`` unless the ``table``
option says otherwise)::

    CREATE TABLE kv_entries (
        collection TEXT, key TEXT, value TEXT, created_at REAL, expires_at REAL,
        PRIMARY KEY (collection, key)
    )

``value`` is the value's compact JSON text; the timestamps are seconds since
the epoch (``expires_at`` is ``NULL`` for entries that never expire). Keys and
collections are stored as they are, NUL and all: they only ever travel as
bound parameters. SQLite has no expiry of its own, so expired rows stay
hidden (the base store checks ``expires_at`` on every read, enumeration
filters them) until :meth:`~kv.store.CullMixin.cull`, or the bounded sweep
that follows writes (the ``sweep_interval`` and ``sweep_limit`` options),
deletes them.

The standard library :mod:`sqlite3` is blocking, so calls run through
:class:`kv.blocking.Engine`, one at a time: bulk calls, listing and cull in
the store's worker thread, on its connection; a point call (one key) on the
event loop's own thread (``inline``, bounded by the ``inline_budget`` option,
1 ms by default), since a thread hop costs more than a point statement. The
database uses WAL journaling, so a reader never waits for a writer; an inline
call uses a second connection whose busy timeout is 0, so a write that finds
another connection's lock fails at once, having changed nothing, and runs
again in the worker thread, where it waits up to ``timeout``. That connection
never checkpoints the WAL itself: every :data:`_CHECKPOINT_WRITES` inline
writes, the next write runs in the thread and checkpoints (the checkpoint
syncs the file, which must not hold the event loop).

URL forms::

    sqlite:///absolute/path/kv.db
    sqlite://relative/path/kv.db      (relative to the working directory)
    sqlite://:memory:                 (private to the store; lost on close)
    sqlite:///srv/kv.db?table=cache&timeout=10&default_collection=app

The options are declared once, in :class:`kv_sqlite.plugin.SQLiteOptions`;
the store reads them from ``self.options``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from kv.atomic import content_version
from kv.blocking import BlockingCalls, Engine, WouldBlock, running_inline
from kv.entry import StoredEntry
from kv.errors import DeserializationError, KeyValueError
from kv.store import AtomicMixin, FullStore
from kv_sqlite.errors import is_busy, translate_sqlite_error
from kv_sqlite.plugin import PLUGIN, SQLITE_CAPABILITIES, SQLiteOptions

__all__ = ["DEFAULT_TABLE", "SQLITE_CAPABILITIES", "SQLiteOptions", "SQLiteStore"]

T = TypeVar("T")

DEFAULT_TABLE = "kv_entries"
"""The table entries are kept in, unless the ``table`` option names another."""

_CHECKPOINT_WRITES = 500
"""Inline writes between two checkpoints of the WAL (each in the worker thread)."""

_CHUNK = 500
"""Keys per ``IN (...)`` list: far below SQLite's bound-variable limit (999 in
builds before 3.32), with room for the other parameters of the statement."""


class _Statements:
    """Every SQL statement of one store, for its (validated, quoted) table.

    Only the table identifier and ``?`` placeholders are ever put into the SQL
    text; every key, collection, value and time is a bound parameter.
    """

    def __init__(self, table: str) -> None:
        quoted = f'"{table}"'
        index = f'"{table}_expires_at"'

        def sql(template: str) -> str:
            return template.replace("{table}", quoted).replace("{index}", index)

        self.create_table = sql(
            "CREATE TABLE IF NOT EXISTS {table} ("
            " collection TEXT NOT NULL, key TEXT NOT NULL, value TEXT,"
            " created_at REAL, expires_at REAL,"
            " PRIMARY KEY (collection, key))"
        )
        self.create_index = sql("CREATE INDEX IF NOT EXISTS {index} ON {table} (expires_at)")
        self.get = sql(
            "SELECT value, created_at, expires_at FROM {table} WHERE collection = ? AND key = ?"
        )
        # "{marks}" is replaced by one "?" per key of a chunk.
        self.get_many = sql(
            "SELECT key, value, created_at, expires_at FROM {table}"
            " WHERE collection = ? AND key IN ({marks})"
        )
        self.put = sql(
            "INSERT OR REPLACE INTO {table} (collection, key, value, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)"
        )
        # Expired rows are already gone for readers; deleting only live ones
        # makes the row count the number of keys that existed. cull() takes
        # the rest.
        self.delete = sql(
            "DELETE FROM {table} WHERE collection = ? AND key = ?"
            " AND (expires_at IS NULL OR expires_at > ?)"
        )
        self.delete_many = sql(
            "DELETE FROM {table} WHERE collection = ? AND key IN ({marks})"
            " AND (expires_at IS NULL OR expires_at > ?)"
        )
        self.key_page = sql(
            "SELECT key FROM {table}"
            " WHERE collection = ? AND key > ? AND (expires_at IS NULL OR expires_at > ?)"
            " ORDER BY key LIMIT ?"
        )
        self.collection_page = sql(
            "SELECT DISTINCT collection FROM {table}"
            " WHERE collection > ? AND (expires_at IS NULL OR expires_at > ?)"
            " ORDER BY collection LIMIT ?"
        )
        # The atomic operations: each is one statement, its condition inside it.
        # An expired row counts as absent; kv_version() is content_version().
        self.put_if_absent = sql(
            "INSERT INTO {table} (collection, key, value, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (collection, key) DO UPDATE SET"
            " value = excluded.value, created_at = excluded.created_at,"
            " expires_at = excluded.expires_at"
            " WHERE {table}.expires_at IS NOT NULL AND {table}.expires_at <= excluded.created_at"
        )
        self.put_if_version = sql(
            "UPDATE {table} SET value = ?, created_at = ?, expires_at = ?"
            " WHERE collection = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)"
            " AND kv_version(value, created_at, expires_at) = ?"
        )
        self.delete_if_version = sql(
            "DELETE FROM {table}"
            " WHERE collection = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)"
            " AND kv_version(value, created_at, expires_at) = ?"
        )
        self.destroy = sql("DELETE FROM {table}")
        self.destroy_collection = sql("DELETE FROM {table} WHERE collection = ?")
        self.cull = sql("DELETE FROM {table} WHERE expires_at <= ?")
        self.cull_some = sql(
            "DELETE FROM {table} WHERE rowid IN"
            " (SELECT rowid FROM {table} WHERE expires_at <= ? LIMIT ?)"
        )


class _Connections:
    """The store's connection, and the one its inline calls use (see the module docs)."""

    __slots__ = ("inline", "main", "unchecked")

    def __init__(self, main: sqlite3.Connection, inline: sqlite3.Connection) -> None:
        self.main = main
        self.inline = inline  # the same connection for a private :memory: database
        self.unchecked = 0  # inline writes since the last checkpoint

    def close(self) -> None:
        if self.inline is not self.main:
            self.inline.close()
        self.main.close()


class SQLiteStore(AtomicMixin, FullStore, plugin=PLUGIN):
    """A kv store in one SQLite database file.

    Nothing is opened until the first call (or :meth:`setup`); the parent
    directory and the table are created then if missing. A ``":memory:"``
    store keeps its entries only until it is closed and does not declare
    ``persistent``.

    Options (keywords, or a :class:`~kv_sqlite.plugin.SQLiteOptions`): ``path``
    (the first positional argument), ``table``, ``timeout``,
    ``default_collection`` and the sweep options.

    Raises:
        InvalidOptionError: an empty path, a bad table name or timeout, or an
            invalid default collection.
    """

    options: SQLiteOptions

    def __init__(
        self, options: SQLiteOptions | str | os.PathLike[str] | None = None, /, **keywords: object
    ) -> None:
        super().__init__(options, **keywords)
        self._sql = _Statements(self.options.table)
        calls = BlockingCalls(max_threads=1, inline_budget=self.options.inline_budget)
        self._engine = Engine[_Connections](
            calls, closed="The database connection is closed", lock=True
        )

    def __repr__(self) -> str:
        return f"<SQLiteStore path={self.options.path!r} table={self.options.table!r}>"

    # --- running SQL -------------------------------------------------------------

    @property
    def _connection(self) -> sqlite3.Connection | None:
        """The store's (worker-thread) connection while it is open."""
        connections = self._engine.handle
        return None if connections is None else connections.main

    async def _run(
        self,
        call: Callable[[sqlite3.Connection], T],
        *,
        inline: bool = False,
        write: bool = False,
    ) -> T:
        """Run ``call(connection)``, one call at a time: in the worker thread, or
        ``inline`` on the event loop when it waits for nothing (a ``write`` is
        counted towards the next checkpoint)."""

        def run(connections: _Connections) -> T:
            if not running_inline():
                result = call(connections.main)
                if write and connections.unchecked >= _CHECKPOINT_WRITES:
                    connections.main.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    connections.unchecked = 0
                return result
            if write and connections.unchecked >= _CHECKPOINT_WRITES:
                raise WouldBlock  # in the thread, which checkpoints after it
            try:
                result = call(connections.inline)
            except sqlite3.OperationalError as error:
                if is_busy(error):  # another connection's lock: nothing was changed
                    raise WouldBlock from error
                raise
            if write:
                connections.unchecked += 1
            return result

        return await self._engine.run(run, inline=inline)

    async def _changed_one(self, sql: str, params: tuple[object, ...]) -> bool:
        """Run a write of one row (inline when it can); whether it changed a row."""
        return await self._run(
            lambda connection: connection.execute(sql, params).rowcount > 0,
            inline=True,
            write=True,
        )

    # --- lifecycle ---------------------------------------------------------------

    async def _open(self) -> None:
        self._engine.handle = await self._engine.finish(self._connect)

    def _connect(self) -> _Connections:
        in_memory = self.options.in_memory
        if not in_memory:
            Path(self.options.path).parent.mkdir(parents=True, exist_ok=True)
        connection = self._new_connection(self.options.timeout)
        try:
            if not in_memory:
                connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(self._sql.create_table)
            connection.execute(self._sql.create_index)
            if in_memory:  # nobody else can hold its lock: inline calls share it
                return _Connections(connection, connection)
            inline = self._new_connection(0.0)
            inline.execute("PRAGMA wal_autocheckpoint=0")  # the thread checkpoints
        except BaseException:
            connection.close()
            raise
        return _Connections(connection, inline)

    def _new_connection(self, timeout: float) -> sqlite3.Connection:
        # isolation_level=None: statements commit on their own unless a
        # transaction is begun explicitly (see _transaction).
        connection = sqlite3.connect(
            self.options.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        try:
            if not self.options.in_memory:
                connection.execute("PRAGMA synchronous=NORMAL")
            connection.create_function("kv_version", 3, content_version, deterministic=True)
        except BaseException:
            connection.close()
            raise
        return connection

    async def _close(self) -> None:
        connections = self._engine.close()
        if connections is not None:
            await self._engine.finish(connections.close)

    # --- entries -----------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        sql = self._sql.get

        def read(connection: sqlite3.Connection) -> tuple[object, object, object] | None:
            row: tuple[object, object, object] | None = connection.execute(
                sql, (collection, key)
            ).fetchone()
            return row

        row = await self._run(read, inline=True)
        return None if row is None else _entry_from_row(key, *row)

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        unique = list(dict.fromkeys(keys))
        template = self._sql.get_many

        def read(connection: sqlite3.Connection) -> dict[str, tuple[object, object, object]]:
            found: dict[str, tuple[object, object, object]] = {}
            # Several chunks are read in one transaction, so they see one snapshot.
            begin = "BEGIN" if len(unique) > _CHUNK else None
            with _transaction(connection, begin):
                for chunk in _chunks(unique):
                    sql = template.replace("{marks}", _marks(len(chunk)))
                    for key, value, created_at, expires_at in connection.execute(
                        sql, (collection, *chunk)
                    ):
                        found[key] = (value, created_at, expires_at)
            return found

        rows = await self._run(read)
        entries: list[StoredEntry | None] = []
        for key in keys:
            row = rows.get(key)
            entries.append(None if row is None else _entry_from_row(key, *row))
        return entries

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        sql = self._sql.put
        params = (collection, key, entry.json(), entry.created_at, entry.expires_at)

        def write(connection: sqlite3.Connection) -> None:
            connection.execute(sql, params)

        await self._run(write, inline=True, write=True)

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        sql = self._sql.put
        rows = [
            (collection, key, entry.json(), entry.created_at, entry.expires_at)
            for key, entry in zip(keys, entries)
        ]

        def write(connection: sqlite3.Connection) -> None:
            # In order, in one transaction: later duplicates of a key win.
            with _transaction(connection, "BEGIN IMMEDIATE"):
                connection.executemany(sql, rows)

        await self._run(write, write=True)

    async def _delete_entry(self, collection: str, key: str) -> bool:
        sql = self._sql.delete
        params = (collection, key, time.time())
        return await self._changed_one(sql, params)

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        unique = list(dict.fromkeys(keys))
        template = self._sql.delete_many
        now = time.time()

        def delete(connection: sqlite3.Connection) -> int:
            deleted = 0
            begin = "BEGIN IMMEDIATE" if len(unique) > _CHUNK else None
            with _transaction(connection, begin):
                for chunk in _chunks(unique):
                    sql = template.replace("{marks}", _marks(len(chunk)))
                    deleted += connection.execute(sql, (collection, *chunk, now)).rowcount
            return deleted

        return await self._run(delete, write=True)

    # --- atomic operations -------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        sql = self._sql.put_if_absent
        params = (collection, key, entry.json(), entry.created_at, entry.expires_at)
        return await self._changed_one(sql, params)

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        sql = self._sql.get

        def read(connection: sqlite3.Connection) -> tuple[object, object, object] | None:
            row: tuple[object, object, object] | None = connection.execute(
                sql, (collection, key)
            ).fetchone()
            return row

        row = await self._run(read, inline=True)
        if row is None:
            return None
        return _entry_from_row(key, *row), content_version(*row)

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        sql = self._sql.put_if_version
        now = entry.created_at
        params = (entry.json(), now, entry.expires_at, collection, key, now, version)
        return await self._changed_one(sql, params)

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        sql = self._sql.delete_if_version
        params = (collection, key, now, version)
        return await self._changed_one(sql, params)

    # --- capabilities ------------------------------------------------------------

    async def _key_page(self, collection: str, after: str | None, limit: int) -> Sequence[str]:
        # Keyset pagination: a page starts after the last key of the one before,
        # so it costs the same however deep the walk is. Keys are never empty,
        # so every key sorts after "".
        params = (collection, after or "", time.time(), limit)
        return await self._run(_first_column(self._sql.key_page, params))

    async def _collection_page(self, after: str | None, limit: int) -> Sequence[str]:
        params = (after or "", time.time(), limit)
        return await self._run(_first_column(self._sql.collection_page, params))

    async def _destroy(self) -> bool:
        sql = self._sql.destroy

        def destroy(connection: sqlite3.Connection) -> int:
            return connection.execute(sql).rowcount

        return await self._run(destroy) > 0

    async def _destroy_collection(self, collection: str) -> bool:
        sql = self._sql.destroy_collection

        def destroy(connection: sqlite3.Connection) -> int:
            return connection.execute(sql, (collection,)).rowcount

        return await self._run(destroy) > 0

    async def _cull(self, now: float, limit: int | None) -> int:
        sql = self._sql.cull if limit is None else self._sql.cull_some
        parameters: tuple[float, ...] | tuple[float, int] = (
            (now,) if limit is None else (now, limit)
        )

        def cull(connection: sqlite3.Connection) -> int:
            return connection.execute(sql, parameters).rowcount

        return await self._run(cull)

    # --- errors --------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """Map :mod:`sqlite3` exceptions to kv errors (``None``: let the base decide)."""
        return translate_sqlite_error(error, self.options.path, self.options.timeout)


# --- helpers -----------------------------------------------------------------------


def _chunks(keys: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]


def _first_column(
    sql: str, params: tuple[object, ...]
) -> Callable[[sqlite3.Connection], list[str]]:
    """A call for :meth:`SQLiteStore._run` returning the first column of every row."""

    def read(connection: sqlite3.Connection) -> list[str]:
        return [row[0] for row in connection.execute(sql, params)]

    return read


def _marks(count: int) -> str:
    return ", ".join("?" * count)


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection, begin: str | None) -> Iterator[None]:
    """Run the block in a transaction opened with ``begin`` (``None``: no transaction)."""
    if begin is None:
        yield
        return
    connection.execute(begin)
    try:
        yield
        connection.commit()
    except BaseException:
        if connection.in_transaction:
            connection.rollback()
        raise


def _entry_from_row(key: str, value: object, created_at: object, expires_at: object) -> StoredEntry:
    """A :class:`StoredEntry` from one row, or :class:`DeserializationError`.

    Value text is not parsed here: the base store parses it when the value is
    read, and reports text that is not a JSON object with the key and
    collection. Only values that are not text at all are refused here.
    """
    if value is not None and not isinstance(value, str):
        if not isinstance(value, bytes):
            raise DeserializationError(
                f"Stored value is {_sql_type(value)}, not JSON text", key=key
            )
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise DeserializationError(
                "Stored value is a BLOB that is not UTF-8", key=key
            ) from None
    return StoredEntry(
        value,
        _timestamp(created_at, "created_at", key),
        _timestamp(expires_at, "expires_at", key),
    )


def _timestamp(stored: object, column: str, key: str) -> float | None:
    if stored is None:
        return None
    if isinstance(stored, (int, float)) and not isinstance(stored, bool):
        return float(stored)
    raise DeserializationError(f"Stored {column} is {_sql_type(stored)}, not a number", key=key)


def _sql_type(stored: object) -> str:
    if isinstance(stored, int):
        return "an INTEGER"
    if isinstance(stored, float):
        return "a REAL"
    if isinstance(stored, bytes):
        return "a BLOB"
    return "TEXT"
