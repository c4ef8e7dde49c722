"""``duckdb://``: a kv store in one DuckDB table, queryable with SQL.

Every entry is one row of one table (``kv_entries`` unless the ``table``
option says otherwise), in the layout py-key-value's ``DuckDBStore`` uses, so
either library reads what the other wrote::

    CREATE TABLE kv_entries (
        collection VARCHAR NOT NULL, key VARCHAR NOT NULL, value JSON NOT NULL,
        created_at TIMESTAMPTZ, expires_at TIMESTAMPTZ, version INT NOT NULL,
        PRIMARY KEY (collection, key)
    )
    CREATE INDEX idx_kv_entries_collection ON kv_entries (collection)
    CREATE INDEX idx_kv_entries_expires_at ON kv_entries (expires_at)

``value`` holds the value's JSON text exactly as kv encoded it, so it can be
queried with DuckDB's JSON functions (``value->>'name'``). Keys, collections,
values and times only ever travel as bound parameters; the table name is
validated and always quoted. DuckDB has no expiry of its own: expired rows are
hidden from every read and removed by :meth:`~kv.store.CullMixin.cull` and the
bounded sweep during writes.

DuckDB lets one process open a database file for writing. The store opens it
on first use and keeps it until ``close()``; another process that opens the
same file meanwhile retries for ``lock_timeout`` seconds, then fails with
:class:`~kv.errors.StoreTimeoutError` having written nothing. Store objects in
one process share DuckDB's database instance and may use one file together.
Before opening the file a kv process takes kv's own lock, ``PATH.kv-lock``
beside it (:mod:`kv.dirlock`), and holds it until closed: a waiting kv
process never touches the file meanwhile (an open racing another process's
close could read the file half-written).

URL forms::

    duckdb:///absolute/path/kv.duckdb
    duckdb://relative/kv.duckdb      (relative to the working directory)
    duckdb://:memory:                (private to the store; lost on close)
    duckdb:///srv/kv.duckdb?table=cache&lock_timeout=30&default_collection=app
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from kv import dirlock, errors
from kv.blocking import BlockingCalls, Engine
from kv.dirlock import DirectoryBusyError, open_when_unlocked
from kv.entry import StoredEntry
from kv.sql import check_layout, templates
from kv.store import AtomicMixin, FullStore
from kv_duckdb.plugin import DUCKDB_CAPABILITIES, PLUGIN, DuckDBOptions

__all__ = ["DEFAULT_TABLE", "DUCKDB_CAPABILITIES", "DuckDBOptions", "DuckDBStore"]

T = TypeVar("T")

DEFAULT_TABLE = "kv_entries"
"""The table entries are kept in, unless the ``table`` option names another."""

LOCK_SUFFIX = ".kv-lock"
"""kv's lock file sits beside the database file, named after it with this suffix."""

_COLUMNS = {
    "collection": "VARCHAR",
    "key": "VARCHAR",
    "value": "JSON",
    "created_at": "TIMESTAMP WITH TIME ZONE",
    "expires_at": "TIMESTAMP WITH TIME ZONE",
    "version": "INTEGER",
}
"""The columns (and DuckDB types) an existing table must have."""

_LOCK_MESSAGE = "Could not set lock on file"


class _Statements:
    """Every SQL statement of one store, for its (validated, quoted) table.

    Only the table identifier is put into the SQL text; every key, collection,
    value, time and count is a ``?`` parameter. Times travel as seconds since
    the epoch (``to_timestamp(?)`` in, ``epoch(...)`` out).
    """

    def __init__(self, table: str) -> None:
        names = {
            "{table}": f'"{table}"',
            "{collection_index}": f'"idx_{table}_collection"',
            "{expires_index}": f'"idx_{table}_expires_at"',
            "{live}": "(expires_at IS NULL OR expires_at > to_timestamp(?))",
            # An entry's version: a hash of what the row stores (every write
            # changes its write time), computed by DuckDB where it compares it.
            "{version}": (
                "md5(concat_ws('|', value::VARCHAR, epoch(created_at)::VARCHAR,"
                " coalesce(epoch(expires_at)::VARCHAR, '')))"
            ),
        }

        sql = templates(names)

        self.create_table = sql(
            "CREATE TABLE IF NOT EXISTS {table} ("
            " collection VARCHAR NOT NULL, key VARCHAR NOT NULL, value JSON NOT NULL,"
            " created_at TIMESTAMPTZ, expires_at TIMESTAMPTZ, version INT NOT NULL,"
            " PRIMARY KEY (collection, key))"
        )
        self.create_indexes = (
            sql("CREATE INDEX IF NOT EXISTS {collection_index} ON {table} (collection)"),
            sql("CREATE INDEX IF NOT EXISTS {expires_index} ON {table} (expires_at)"),
        )
        self.describe = sql("DESCRIBE {table}")
        # Reads fetch what a read needs: the value and its expiry.
        self.get = sql(
            "SELECT value, epoch(expires_at) FROM {table} WHERE collection = ? AND key = ?"
        )
        self.get_many = sql(
            "SELECT key, value, epoch(expires_at) FROM {table}"
            " WHERE collection = ? AND key IN (SELECT unnest(?::VARCHAR[]))"
        )
        self.put = sql(
            "INSERT OR REPLACE INTO {table}"
            " (collection, key, value, created_at, expires_at, version)"
            " VALUES (?, ?, ?, to_timestamp(?), to_timestamp(?), 1)"
        )
        # One statement for the whole batch: the keys and values arrive as two
        # lists, unnested side by side. Keys must be distinct (DuckDB keeps the
        # first of duplicates in one statement; the store passes the last).
        self.put_many = sql(
            "INSERT OR REPLACE INTO {table}"
            " (collection, key, value, created_at, expires_at, version)"
            " SELECT ?, k, v, to_timestamp(?), to_timestamp(?), 1"
            " FROM (SELECT unnest(?::VARCHAR[]) AS k, unnest(?::VARCHAR[]) AS v)"
        )
        # Deletes expired rows of these keys too; only live ones are counted.
        # One key: only a live row, counted without RETURNING (which costs
        # DuckDB more than the delete); an expired row is left to the sweep.
        self.delete = sql("DELETE FROM {table} WHERE collection = ? AND key = ? AND {live}")
        self.delete_many = sql(
            "DELETE FROM {table}"
            " WHERE collection = ? AND key IN (SELECT unnest(?::VARCHAR[]))"
            " RETURNING epoch(expires_at)"
        )
        self.key_page = sql(
            "SELECT key FROM {table} WHERE collection = ? AND key > ? AND {live}"
            " ORDER BY key LIMIT ?"
        )
        self.collection_page = sql(
            "SELECT DISTINCT collection FROM {table} WHERE collection > ? AND {live}"
            " ORDER BY collection LIMIT ?"
        )
        # The atomic operations: one statement each, the condition inside it.
        self.get_versioned = sql(
            "SELECT value, epoch(expires_at), {version} FROM {table}"
            " WHERE collection = ? AND key = ?"
        )
        self.put_if_absent = sql(
            "INSERT INTO {table} (collection, key, value, created_at, expires_at, version)"
            " VALUES (?, ?, ?, to_timestamp(?), to_timestamp(?), 1)"
            " ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value,"
            " created_at = excluded.created_at, expires_at = excluded.expires_at"
            " WHERE expires_at <= to_timestamp(?) RETURNING true"
        )
        self.put_if_version = sql(
            "UPDATE {table} SET value = ?, created_at = to_timestamp(?),"
            " expires_at = to_timestamp(?)"
            " WHERE collection = ? AND key = ? AND {live} AND {version} = ? RETURNING true"
        )
        self.delete_if_version = sql(
            "DELETE FROM {table}"
            " WHERE collection = ? AND key = ? AND {live} AND {version} = ? RETURNING true"
        )
        self.destroy = sql("DELETE FROM {table}")
        self.destroy_collection = sql("DELETE FROM {table} WHERE collection = ?")
        self.cull = sql("DELETE FROM {table} WHERE expires_at <= to_timestamp(?)")
        self.cull_some = sql(
            "DELETE FROM {table} WHERE rowid IN"
            " (SELECT rowid FROM {table} WHERE expires_at <= to_timestamp(?) LIMIT ?)"
        )


class DuckDBStore(AtomicMixin, FullStore, plugin=PLUGIN):
    """A kv store in one DuckDB table.

    Nothing is opened until the first call (or :meth:`setup`); the parent
    directory, the file, the table and its indexes are created then if
    missing. A ``":memory:"`` store keeps its entries only until it is closed
    and does not declare ``persistent``. DuckDB calls run one at a time: a
    point read (one key) on the event loop's own thread, under
    ``inline_budget`` (5 ms by default, see :mod:`kv.blocking`), since a
    worker-thread hop costs more than a point read here; writes of a database
    file (each commit syncs DuckDB's log: a disk flush, which took up to 50 ms
    here under other I/O, must never hold the event loop), bulk calls,
    listing and cull in a worker thread. A ``":memory:"`` store, which syncs
    nothing, writes one key inline too.

    Options (keywords, or a :class:`~kv_duckdb.plugin.DuckDBOptions`): ``path``
    (the first positional argument), ``table``, ``lock_timeout``,
    ``default_collection`` and the sweep options.

    Raises:
        InvalidOptionError: an empty path, a bad table name or lock timeout, or
            an invalid default collection.
    """

    listing_page_size = 100_000  # a query costs milliseconds whatever its size

    options: DuckDBOptions

    def __init__(
        self, options: DuckDBOptions | str | os.PathLike[str] | None = None, /, **keywords: object
    ) -> None:
        super().__init__(options, **keywords)
        self._sql = _Statements(self.options.table)
        calls = BlockingCalls(max_threads=1, inline_budget=self.options.inline_budget)
        self._engine = Engine[duckdb.DuckDBPyConnection](
            calls, closed="The DuckDB connection is closed"
        )
        # A write syncs the file's log (no bound on its time): inline only in memory.
        self._write_inline: str | bool = "write" if self.options.in_memory else False

    def __repr__(self) -> str:
        return f"<DuckDBStore path={self.options.path!r} table={self.options.table!r}>"

    # --- running SQL -------------------------------------------------------------

    @property
    def _connection(self) -> duckdb.DuckDBPyConnection | None:
        """The open connection, else ``None``."""
        return self._engine.handle

    @_connection.setter
    def _connection(self, connection: duckdb.DuckDBPyConnection | None) -> None:
        self._engine.handle = connection

    async def _fetch(
        self, sql: str, parameters: Sequence[object], *, inline: bool = False
    ) -> list[tuple[Any, ...]]:
        """Run one statement and fetch its rows (``inline``: a point call, see
        :class:`DuckDBStore`)."""
        return await self._engine.run(
            partial(_fetch_all, sql, parameters), inline="read" if inline else False
        )

    async def _write(self, sql: str, parameters: Sequence[object]) -> list[tuple[Any, ...]]:
        """Run a one-row write and fetch its ``RETURNING`` rows: in the worker thread,
        or inline for a ``:memory:`` store (see :class:`DuckDBStore`)."""
        return await self._engine.run(
            partial(_fetch_all, sql, parameters), inline=self._write_inline
        )

    # --- lifecycle ---------------------------------------------------------------

    async def _open(self) -> None:
        self._connection = await open_when_unlocked(
            lambda: self._engine.finish(self._connect),
            is_locked=lambda error: isinstance(error, DirectoryBusyError) or _is_lock_error(error),
            lock_timeout=self.options.lock_timeout,
            locked_error=lambda error: self._locked_error(),
        )

    def _locked_error(self) -> errors.StoreTimeoutError:
        return dirlock.locked_error(
            f"The DuckDB database {self.options.path!r}",
            self.options.lock_timeout,
            rule="DuckDB lets one process open a file for writing",
        )

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """Take kv's lock on the file (not for ``:memory:``), then open it (in a worker thread).

        Raises:
            DirectoryBusyError: another kv process has the file.
        """
        directory = None
        file = Path(self.options.path)
        if not self.options.in_memory:
            file.parent.mkdir(parents=True, exist_ok=True)
            directory = str(file.parent)
        connection, self._engine.lock_token = dirlock.open_locked(
            partial(duckdb.connect, self.options.path),
            prepare=self._prepare_connection,
            close=_close_connection,
            directory=directory,
            name=file.name + LOCK_SUFFIX,
        )
        return connection

    def _prepare_connection(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Create the table if missing, check its layout, create its indexes."""
        connection.execute(self._sql.create_table)
        columns = {row[0]: row[1] for row in connection.execute(self._sql.describe).fetchall()}
        check_layout(columns, _COLUMNS, table=self.options.table, where=self.options.path)
        for statement in self._sql.create_indexes:
            connection.execute(statement)

    async def _close(self) -> None:
        await dirlock.close_engine(self._engine, _close_connection)

    # --- entries -----------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        rows = await self._fetch(self._sql.get, (collection, key), inline=True)
        return _entry(key, *rows[0]) if rows else None

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        unique = list(dict.fromkeys(keys))
        rows = await self._fetch(self._sql.get_many, (collection, unique))
        found = {row[0]: row[1:] for row in rows}
        return [_entry(key, *found[key]) if key in found else None for key in keys]

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        params = (collection, key, entry.json(), entry.created_at, entry.expires_at)
        await self._write(self._sql.put, params)

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        now = entry.created_at
        params = (collection, key, entry.json(), now, entry.expires_at, now)
        return bool(await self._write(self._sql.put_if_absent, params))

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        rows = await self._fetch(self._sql.get_versioned, (collection, key), inline=True)
        if not rows:
            return None
        value, expires_at, version = rows[0]
        return _entry(key, value, expires_at), str(version)

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        now = entry.created_at
        params = (entry.json(), now, entry.expires_at, collection, key, now, version)
        return bool(await self._write(self._sql.put_if_version, params))

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        params = (collection, key, now, version)
        return bool(await self._write(self._sql.delete_if_version, params))

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        first = entries[0]
        params = (
            collection,
            first.created_at,
            first.expires_at,
            list(keys),
            [entry.json() for entry in entries],
        )
        await self._engine.run(partial(_execute, self._sql.put_many, params))

    async def _delete_entry(self, collection: str, key: str) -> bool:
        rows = await self._write(self._sql.delete, (collection, key, time.time()))
        return bool(rows) and rows[0][0] > 0

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        unique = list(dict.fromkeys(keys))
        rows = await self._fetch(self._sql.delete_many, (collection, unique))
        now = time.time()
        return sum(1 for (expires_at,) in rows if _is_live(expires_at, now))

    # --- capabilities ------------------------------------------------------------

    async def _key_page(self, collection: str, after: str | None, limit: int) -> Sequence[str]:
        # Keyset pagination in key order (UTF-8 byte order): every page costs the
        # same. Keys are never empty, so every key sorts after "".
        rows = await self._fetch(self._sql.key_page, (collection, after or "", time.time(), limit))
        return [row[0] for row in rows]

    async def _collection_page(self, after: str | None, limit: int) -> Sequence[str]:
        rows = await self._fetch(self._sql.collection_page, (after or "", time.time(), limit))
        return [row[0] for row in rows]

    async def _destroy(self) -> bool:
        return await self._engine.run(partial(_count, self._sql.destroy, ())) > 0

    async def _destroy_collection(self, collection: str) -> bool:
        return (
            await self._engine.run(partial(_count, self._sql.destroy_collection, (collection,))) > 0
        )

    async def _cull(self, now: float, limit: int | None) -> int:
        if limit is None:
            return await self._engine.run(partial(_count, self._sql.cull, (now,)))
        return await self._engine.run(partial(_count, self._sql.cull_some, (now, limit)))

    # --- errors --------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> errors.KeyValueError | None:
        """Map DuckDB's exceptions to kv errors (``None``: let the base decide).

        DuckDB's conversion messages quote the data they could not convert, so
        those are never passed on.
        """
        if not isinstance(error, duckdb.Error):
            return None
        message = str(error).split("\n", 1)[0]
        if isinstance(error, duckdb.ConnectionException):
            return errors.StoreConnectionError("The DuckDB connection was closed during the call")
        if isinstance(error, duckdb.IOException):
            if _LOCK_MESSAGE in message:
                return self._locked_error()
            if "not a valid DuckDB database" in message:
                return errors.StoreSetupError(f"{self.options.path!r} is not a DuckDB database")
            return errors.StoreError(f"DuckDB I/O error on {self.options.path!r}: {message}")
        if isinstance(error, (duckdb.ConversionException, duckdb.InvalidInputException)):
            return errors.DeserializationError(
                f"DuckDB could not convert a value of table {self.options.table!r}"
                f" ({type(error).__name__})"
            )
        if isinstance(error, duckdb.TransactionException):
            return errors.StoreError(
                f"Another connection changed the same rows of {self.options.table!r} at the same"
                f" time: {message}"
            )
        if isinstance(error, duckdb.OutOfMemoryException):
            return errors.StoreError(f"DuckDB ran out of memory: {message}")
        return errors.StoreError(f"DuckDB failed on {self.options.path!r}: {message}")


# --- helpers -----------------------------------------------------------------------


def _fetch_all(
    sql: str, parameters: Sequence[object], connection: duckdb.DuckDBPyConnection
) -> list[tuple[Any, ...]]:
    return connection.execute(sql, parameters).fetchall()


def _execute(sql: str, parameters: Sequence[object], connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(sql, parameters)


def _count(sql: str, parameters: Sequence[object], connection: duckdb.DuckDBPyConnection) -> int:
    """Run a DELETE and return how many rows it removed."""
    row = connection.execute(sql, parameters).fetchone()
    return int(row[0]) if row else 0


def _is_live(expires_at: float | None, now: float) -> bool:
    """Whether a deleted row's expiry (``RETURNING epoch(expires_at)``) was still ahead."""
    return expires_at is None or expires_at > now


def _close_connection(connection: duckdb.DuckDBPyConnection) -> None:
    connection.close()


def _is_lock_error(error: Exception) -> bool:
    """Whether opening failed because another process holds the file's lock."""
    return isinstance(error, duckdb.IOException) and _LOCK_MESSAGE in str(error)


def _entry(key: str, value: object, expires_at: object) -> StoredEntry:
    """A :class:`StoredEntry` from one row; the value text is parsed on read."""
    if not isinstance(value, str):
        raise errors.DeserializationError(
            f"Stored value is a {type(value).__name__}, not JSON text", key=key
        )
    return StoredEntry(value, None, _seconds(expires_at))


def _seconds(stored: object) -> float | None:
    if stored is None or isinstance(stored, float):
        return stored
    if isinstance(stored, int) and not isinstance(stored, bool):
        return float(stored)
    raise errors.DeserializationError(f"Stored time is a {type(stored).__name__}, not a number")
