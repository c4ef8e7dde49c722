"""``chdb://``: a kv store in one table of embedded ClickHouse, through chDB.

The table gives key-value semantics on ClickHouse's ``ReplacingMergeTree``::

    CREATE TABLE kv_entries (
        collection String,
        key        String,
        document   String,                              -- the JSON document
        expires_at Nullable(DateTime64(6, 'UTC')),      -- NULL: never expires
        version    UInt64                               -- write time in ns
    ) ENGINE = ReplacingMergeTree(version) ORDER BY (collection, key)

A write inserts a row; the row with the highest ``version`` of a
``(collection, key)`` is the entry, and reads use ``FINAL`` so they never see
an older one (merges drop the older rows later). ``document`` is
:func:`kv.entry.encode_document`'s JSON, so
``JSONExtractString(document, 'value', 'name')`` works in SQL. A delete is a
lightweight ``DELETE`` of every row of the key. ClickHouse's own TTL is not
used: expired entries are hidden on read, and :meth:`cull` and the bounded
sweep delete them.

Keys, collections, times and counts travel as query parameters, escaped by
:func:`kv_chdb.sql.escape_parameter`; rows travel as JSON lines after
``FORMAT JSONEachRow``. Only the validated, quoted table name is part of the
SQL text.

chDB runs one embedded ClickHouse server per process, on one path: stores on
the same path share it; a store on another path fails with
:class:`~kv.errors.StoreSetupError` until the others are closed. One process
at a time opens a directory: a second *process* on the same path retries for
``lock_timeout`` seconds, then fails with :class:`~kv.errors.StoreTimeoutError`,
having written nothing. chDB reports a held directory only as a failure to
start, so kv takes its own lock first (``kv.lock`` in the directory, see
:mod:`kv.dirlock`) and holds it until the store is closed; a process
that finds it taken knows the directory is held and waits without calling
chDB.

URL forms::

    chdb:///absolute/path/to/dir
    chdb://relative/dir              (relative to the working directory)
    chdb:///srv/kv?table=cache&lock_timeout=30&default_collection=app
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from chdb import ChdbError
from chdb.session import Session

from kv import dirlock, errors
from kv.blocking import BlockingCalls, Engine
from kv.dirlock import DirectoryBusyError, open_when_unlocked
from kv.entry import StoredEntry, decode_document, encode_document
from kv.sql import check_layout, templates
from kv.store import AtomicMixin, FullStore
from kv_chdb.plugin import CHDB_CAPABILITIES, DEFAULT_TABLE, PLUGIN, ChDBOptions
from kv_chdb.sql import escape_parameter, json_list, json_rows

__all__ = ["CHDB_CAPABILITIES", "DEFAULT_TABLE", "ChDBOptions", "ChDBStore"]


_COLUMNS = {
    "collection": "String",
    "key": "String",
    "document": "String",
    "expires_at": "Nullable(DateTime64(6, 'UTC'))",
    "version": "UInt64",
}

_CHDB_CODE = re.compile(r"Code: (\d+)\..*\((\w+)\)\s*$", re.DOTALL)

_OTHER_PATH = "cannot connect with different path"

_NO_LIMIT = 2**64 - 1
"""``LIMIT`` that limits nothing (ClickHouse takes a UInt64)."""

_versions = threading.Lock()
_last_version = 0


_conditional_locks: dict[str, threading.Lock] = {}
"""One lock per database directory: the atomic operations of every store of
this process on that directory take it between their check and their write."""


def _conditional_lock(path: str) -> threading.Lock:
    with _versions:
        return _conditional_locks.setdefault(os.path.realpath(path), threading.Lock())


def _next_version() -> int:
    """A write version: nanoseconds since the epoch, strictly increasing in this process."""
    global _last_version
    with _versions:
        _last_version = max(time.time_ns(), _last_version + 1)
        return _last_version


class _Statements:
    """Every SQL statement of one store, for its (validated, quoted) table."""

    def __init__(self, table: str) -> None:
        # Replaced in this order: later names may occur in earlier texts.
        names = {
            # Keys whose latest row has expired; every row of such a key goes
            # (deleting only the latest would bring back an older one).
            "{expired}": "SELECT collection, key FROM {table} FINAL WHERE expires_at <= {now}"
            " ORDER BY collection, key LIMIT {limit:UInt64}",
            "{live}": "(expires_at IS NULL OR expires_at > {now})",
            "{table}": f'"{table}"',
            "{now}": "toDateTime64({now:Float64}, 6, 'UTC')",
            "{keys}": "(SELECT arrayJoin(JSONExtract({keys:String}, 'Array(String)')))",
        }

        sql = templates(names)

        self.create_table = sql(
            "CREATE TABLE IF NOT EXISTS {table} ("
            " collection String, key String, document String,"
            " expires_at Nullable(DateTime64(6, 'UTC')), version UInt64"
            ") ENGINE = ReplacingMergeTree(version) ORDER BY (collection, key)"
        )
        self.columns = (
            "SELECT name, type FROM system.columns"
            " WHERE database = currentDatabase() AND table = {table:String}"
        )
        self.get = sql(
            "SELECT document FROM {table} FINAL WHERE collection = {collection:String}"
            " AND key = {key:String}"
        )
        self.get_many = sql(
            "SELECT key, document FROM {table} FINAL"
            " WHERE collection = {collection:String} AND key IN {keys}"
        )
        self.insert = sql(
            "INSERT INTO {table} (collection, key, document, expires_at, version)"
            " FORMAT JSONEachRow\n"
        )
        self.existing = sql(
            "SELECT key, {live} AS live FROM {table} FINAL"
            " WHERE collection = {collection:String} AND key IN {keys}"
        )
        self.delete = sql(
            "DELETE FROM {table} WHERE collection = {collection:String} AND key IN {keys}"
        )
        # One key: compared with =, no list to unpack.
        self.existing_one = sql(
            "SELECT {live} AS live FROM {table} FINAL"
            " WHERE collection = {collection:String} AND key = {key:String}"
        )
        self.delete_one = sql(
            "DELETE FROM {table} WHERE collection = {collection:String} AND key = {key:String}"
        )
        self.versioned = sql(
            "SELECT document, toString(version) AS version, {live} AS live FROM {table} FINAL"
            " WHERE collection = {collection:String} AND key = {key:String}"
        )
        self.key_page = sql(
            "SELECT key FROM {table} FINAL WHERE collection = {collection:String}"
            " AND key > {after:String} AND {live} ORDER BY key LIMIT {limit:UInt64}"
        )
        self.collection_page = sql(
            "SELECT DISTINCT collection FROM {table} FINAL"
            " WHERE collection > {after:String} AND {live}"
            " ORDER BY collection LIMIT {limit:UInt64}"
        )
        self.any_row = sql("SELECT 1 FROM {table} LIMIT 1")
        self.truncate = sql("TRUNCATE TABLE {table}")
        self.collection_row = sql(
            "SELECT 1 FROM {table} WHERE collection = {collection:String} LIMIT 1"
        )
        self.delete_collection = sql("DELETE FROM {table} WHERE collection = {collection:String}")
        self.count_expired = sql("SELECT count() AS n FROM ({expired})")
        self.delete_expired = sql("DELETE FROM {table} WHERE (collection, key) IN ({expired})")
        self.optimize = sql("OPTIMIZE TABLE {table} FINAL")


class ChDBStore(AtomicMixin, FullStore, plugin=PLUGIN):
    """A kv store in one table of chDB's embedded ClickHouse.

    Nothing is opened until the first call (or :meth:`setup`); the directory
    and the table are created then if missing. Every chDB call runs in a
    worker thread, one at a time per store.

    Options (keywords, or a :class:`~kv_chdb.plugin.ChDBOptions`): ``path``
    (the first positional argument; one directory per process, see the module
    docs), ``table``, ``lock_timeout``, ``default_collection`` and the sweep
    options.

    Raises:
        InvalidOptionError: an empty path or one with ``?``, a bad table name
            or lock timeout, or an invalid default collection.
    """

    listing_page_size = 100_000  # a query costs milliseconds whatever its size

    options: ChDBOptions

    def __init__(
        self, options: ChDBOptions | str | os.PathLike[str] | None = None, /, **keywords: object
    ) -> None:
        super().__init__(options, **keywords)
        self._sql = _Statements(self.options.table)
        self._engine = Engine[Session](
            BlockingCalls(max_threads=1), closed="The chDB session is closed"
        )

    def __repr__(self) -> str:
        return f"<ChDBStore path={self.options.path!r} table={self.options.table!r}>"

    # --- running queries ---------------------------------------------------------

    async def _rows(
        self, sql: str, parameters: Mapping[str, object] | None = None
    ) -> list[dict[str, Any]]:
        """Run a query in a worker thread; return its rows as dicts."""
        return await self._engine.run(partial(_query_rows, sql, parameters or {}))

    async def _execute(self, sql: str, parameters: Mapping[str, object] | None = None) -> None:
        await self._engine.run(partial(_query, sql, parameters or {}))

    # --- lifecycle ---------------------------------------------------------------

    async def _open(self) -> None:
        self._engine.handle = await open_when_unlocked(
            self._open_once,
            is_locked=lambda error: isinstance(error, DirectoryBusyError),
            lock_timeout=self.options.lock_timeout,
            locked_error=lambda error: self._locked_error(),
            first_delay=0.01,
            max_delay=0.2,
        )

    async def _open_once(self) -> Session:
        try:
            return await self._engine.finish(self._connect)
        except ChdbError as error:
            if _OTHER_PATH in str(error):
                raise errors.StoreSetupError(
                    f"chDB runs one embedded ClickHouse per process and it is open on"
                    f" another path; close the stores using it before opening {self.options.path!r}"
                ) from None
            raise

    def _locked_error(self) -> errors.StoreTimeoutError:
        return dirlock.locked_error(
            f"The chDB directory {self.options.path!r}",
            self.options.lock_timeout,
            rule="ClickHouse lets one process open it at a time",
        )

    def _connect(self) -> Session:
        """Take kv's lock on the directory, then open chDB (in a worker thread).

        Raises:
            DirectoryBusyError: another process has the directory (kv's lock, or
                ClickHouse's own lock held by a process outside kv).
        """
        Path(self.options.path).mkdir(parents=True, exist_ok=True)
        session, self._engine.lock_token = dirlock.open_locked(
            self._new_session,
            prepare=self._prepare_session,
            close=_close_session,
            directory=self.options.path,
        )
        return session

    def _new_session(self) -> Session:
        try:
            return Session(self.options.path)  # type: ignore[no-untyped-call]
        except RuntimeError as error:  # chDB raises a plain RuntimeError here
            if _OTHER_PATH not in str(error) and _status_locked(self.options.path):
                # ClickHouse's own lock, held by a process that is not kv
                raise DirectoryBusyError(str(error)) from None
            raise ChdbError(str(error)) from None

    def _prepare_session(self, session: Session) -> None:
        """Create the table if missing, and check its layout."""
        _query(self._sql.create_table, {}, session)
        rows = _query_rows(self._sql.columns, {"table": self.options.table}, session)
        columns = {row["name"]: row["type"] for row in rows}
        check_layout(columns, _COLUMNS, table=self.options.table, where=self.options.path)

    async def _close(self) -> None:
        await dirlock.close_engine(self._engine, _close_session)

    # --- entries -----------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        rows = await self._rows(self._sql.get, {"collection": collection, "key": key})
        return _decode(rows[0]["document"], key) if rows else None

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        unique = list(dict.fromkeys(keys))
        rows = await self._rows(
            self._sql.get_many, {"collection": collection, "keys": json_list(unique)}
        )
        found = {row["key"]: row["document"] for row in rows}
        # Decoded per position: a duplicate key gets its own fresh value.
        return [_decode(found[key], key) if key in found else None for key in keys]

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        version = _next_version()
        rows = json_rows(
            {
                "collection": collection,
                "key": key,
                "document": encode_document(entry, collection=collection, key=key),
                "expires_at": entry.expires_at,
                "version": version,
            }
            for key, entry in zip(keys, entries)
        )
        await self._execute(self._sql.insert + rows)  # one INSERT for the batch

    async def _delete_entry(self, collection: str, key: str) -> bool:
        parameters = {"collection": collection, "key": key, "now": time.time()}

        def delete(session: Session) -> bool:
            existing = _query_rows(self._sql.existing_one, parameters, session)
            if existing:  # an expired row of the key goes too; only a live one counts
                _query(self._sql.delete_one, parameters, session)
            return bool(existing) and bool(existing[0]["live"])

        return await self._engine.run(delete)

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        parameters = {
            "collection": collection,
            "keys": json_list(list(dict.fromkeys(keys))),
            "now": time.time(),
        }

        def delete(session: Session) -> int:
            existing = _query_rows(self._sql.existing, parameters, session)
            if existing:  # expired rows of these keys go too; only live ones count
                _query(self._sql.delete, parameters, session)
            return sum(1 for row in existing if row["live"])

        return await self._engine.run(delete)

    # --- atomic operations ----------------------------------------------------------
    # ClickHouse has no conditional insert. Only this process opens the
    # directory (kv's lock), and every store of the process on it takes one
    # lock between its check and its write: no other writer can come between.
    # The version is the row's own ``version`` (write time in ns, increasing).

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        def claim(session: Session) -> bool:
            current = self._versioned_row(session, collection, key, entry.created_at)
            if current is not None and current["live"]:
                return False
            self._insert(session, collection, key, entry)
            return True

        return await self._conditional(claim)

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        found = await self._engine.run(
            lambda session: self._versioned_row(session, collection, key, time.time())
        )
        if found is None:
            return None
        return _decode(found["document"], key), str(found["version"])

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        def swap(session: Session) -> bool:
            current = self._versioned_row(session, collection, key, entry.created_at)
            if current is None or not current["live"] or str(current["version"]) != version:
                return False
            self._insert(session, collection, key, entry)
            return True

        return await self._conditional(swap)

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        parameters = {"collection": collection, "keys": json_list([key])}

        def delete(session: Session) -> bool:
            current = self._versioned_row(session, collection, key, now)
            if current is None or not current["live"] or str(current["version"]) != version:
                return False
            _query(self._sql.delete, parameters, session)
            return True

        return await self._conditional(delete)

    async def _conditional(self, call: Callable[[Session], bool]) -> bool:
        lock = _conditional_lock(self.options.path)

        def locked(session: Session) -> bool:
            with lock:
                return call(session)

        return await self._engine.run(locked)

    def _versioned_row(
        self, session: Session, collection: str, key: str, now: float | None
    ) -> dict[str, Any] | None:
        parameters = {"collection": collection, "key": key, "now": now or time.time()}
        rows = _query_rows(self._sql.versioned, parameters, session)
        return rows[0] if rows else None

    def _insert(self, session: Session, collection: str, key: str, entry: StoredEntry) -> None:
        row = {
            "collection": collection,
            "key": key,
            "document": encode_document(entry, collection=collection, key=key),
            "expires_at": entry.expires_at,
            "version": _next_version(),
        }
        _query(self._sql.insert + json_rows([row]), {}, session)

    # --- enumeration -------------------------------------------------------------

    async def _key_page(self, collection: str, after: str | None, limit: int) -> Sequence[str]:
        # Keyset pagination in byte order: each page starts after the last key.
        # Keys are never empty, so every key sorts after "".
        parameters = {"collection": collection, "after": after or "", "limit": limit}
        rows = await self._rows(self._sql.key_page, {**parameters, "now": time.time()})
        return [row["key"] for row in rows]

    async def _collection_page(self, after: str | None, limit: int) -> Sequence[str]:
        parameters = {"after": after or "", "now": time.time(), "limit": limit}
        rows = await self._rows(self._sql.collection_page, parameters)
        return [row["collection"] for row in rows]

    # --- destroy and cull --------------------------------------------------------

    async def _destroy(self) -> bool:
        def destroy(session: Session) -> bool:
            existed = bool(_query_rows(self._sql.any_row, {}, session))
            if existed:
                _query(self._sql.truncate, {}, session)
            return existed

        return await self._engine.run(destroy)

    async def _destroy_collection(self, collection: str) -> bool:
        parameters = {"collection": collection}

        def destroy(session: Session) -> bool:
            existed = bool(_query_rows(self._sql.collection_row, parameters, session))
            if existed:
                _query(self._sql.delete_collection, parameters, session)
            return existed

        return await self._engine.run(destroy)

    async def _cull(self, now: float, limit: int | None) -> int:
        # A full cull (limit None) also merges the table (OPTIMIZE ... FINAL),
        # which rewrites the parts without deleted and replaced rows.
        parameters = {"now": now, "limit": _NO_LIMIT if limit is None else limit}

        def cull(session: Session) -> int:
            rows = _query_rows(self._sql.count_expired, parameters, session)
            count = int(rows[0]["n"]) if rows else 0
            if count:
                _query(self._sql.delete_expired, parameters, session)
                if limit is None:
                    _query(self._sql.optimize, {}, session)
            return count

        return await self._engine.run(cull)

    # --- errors --------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> errors.KeyValueError | None:
        """Map chDB's exceptions to kv errors (``None``: let the base decide).

        Only ClickHouse's error code and name are passed on: its messages may
        quote the data of the statement.
        """
        if not isinstance(error, ChdbError):
            return None
        message = str(error)
        if "closed" in message.lower() and "Code:" not in message:
            return errors.StoreConnectionError("The chDB session was closed during the call")
        match = _CHDB_CODE.search(message)
        reason = f"ClickHouse error {match[1]} ({match[2]})" if match else "an unknown error"
        if "EmbeddedServer" in message:
            return errors.StoreSetupError(
                f"chDB could not start on {self.options.path!r}: {reason}"
            )
        return errors.StoreError(f"chDB failed on table {self.options.table!r}: {reason}")


# --- helpers -----------------------------------------------------------------------


def _query(sql: str, parameters: Mapping[str, object], session: Session) -> bytes:
    """Run one statement; ``String`` parameters are escaped here, once."""
    bound = {
        name: escape_parameter(value) if isinstance(value, str) else value
        for name, value in parameters.items()
    }
    result = session.query(sql, "JSONEachRow", params=bound)  # type: ignore[no-untyped-call]
    data: bytes = result.bytes()
    return data


def _close_session(session: Session) -> None:
    session.close()  # type: ignore[no-untyped-call]


def _query_rows(
    sql: str, parameters: Mapping[str, object], session: Session
) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _query(sql, parameters, session).splitlines() if line]


def _decode(document: object, key: str) -> StoredEntry:
    if not isinstance(document, str):
        raise errors.DeserializationError(
            f"Stored document is a {type(document).__name__}", key=key
        )
    return decode_document(document)


def _status_locked(path: str) -> bool:
    """Whether another process holds ClickHouse's lock on ``path/status``."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - chDB runs on Linux and macOS only
        return False
    try:
        descriptor = os.open(os.path.join(path, "status"), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return False
    finally:
        os.close(descriptor)
