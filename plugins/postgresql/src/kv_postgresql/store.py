"""``postgresql://`` and ``postgres://``: a kv store in one PostgreSQL table.

Every entry is one row of one table (``kv_store`` unless the ``table`` option
names another), in py-key-value's PostgreSQLStore layout (see
:mod:`kv_postgresql.sql`): the value's JSON, its TTL in seconds and two
``TIMESTAMPTZ`` columns. Keys and collections are plain ``TEXT``; names that
contain NUL are stored reversibly encoded (:mod:`kv_postgresql.names`).
PostgreSQL has no expiry of its own: expired rows stay hidden (the base store
checks ``expires_at`` on every read, enumeration filters them) until
:meth:`cull` or the bounded sweep during writes deletes them.

Every call is one statement on a pooled asyncpg connection; bulk calls pass
arrays (``unnest``/``ANY``), so ``put_many`` of 2 500 entries is one
statement. Each event loop that uses the store gets its own pool
(:mod:`kv_postgresql.pool`, kept in a :class:`kv.loops.PerLoop`), made on its
first call there and closed when that loop shuts down, so one store object
serves one ``asyncio.run()`` after another. Callers beyond ``max_size`` wait
in line for a connection. A connection broken by a server restart is
discarded and replaced on the next call, so the same store carries on once
the server is back. ``put_many`` writes rows in sorted key order, so crossed
calls cannot deadlock; names too long for the primary key's index are stored
as tokens (:mod:`kv_postgresql.names`).

URL forms (the options are declared in :class:`kv_postgresql.plugin.PostgreSQLOptions`)::

    postgresql://user:password@host:5432/database
    postgres://host1,host2:5433/database?table=cache&schema=app
    postgresql:///database?host=/var/run/postgresql      (Unix socket directory)
    postgresql://host/db?min_size=1&max_size=10&command_timeout=30&sslmode=require
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
from asyncpg import exceptions as pg

from kv.entry import StoredEntry
from kv.errors import (
    KeyValueError,
    ReadOnlyError,
    SerializationError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)
from kv.loops import PerLoop
from kv.store import AtomicMixin, FullStore
from kv_postgresql.names import (
    TOKEN,
    decode_name,
    encode_name,
    is_token,
    stored_collection,
    stored_key,
    unwrap_value,
    wrap_value,
)
from kv_postgresql.plugin import (
    DEFAULT_TABLE,
    PLUGIN,
    PostgreSQLOptions,
    SSLMode,
)
from kv_postgresql.pool import (
    ConnectionPool,
    PoolAdapter,
    PoolClosedError,
    PoolTimeoutError,
    is_connection_loss,
)
from kv_postgresql.sql import (
    COLUMNS_QUERY,
    REQUIRED_COLUMNS,
    Statements,
    create_statements,
    index_name,
    qualified_name,
    quote,
)

__all__ = [
    "DEFAULT_TABLE",
    "PostgreSQLOptions",
    "PostgreSQLStore",
    "SSLMode",
]


async def _columns(connection: asyncpg.Connection, table: str) -> dict[str, str]:
    """The table's columns and their types; empty if the table does not exist."""
    return {str(row[0]): str(row[1]) for row in await connection.fetch(COLUMNS_QUERY, table)}


def _status_count(status: str) -> int:
    """Rows affected, from a command status such as ``"DELETE 3"``."""
    tail = status.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0


def _row(
    collection: str, key: str, entry: StoredEntry, ttl: float | None
) -> tuple[str, str, str, float | None, float | None, float | None]:
    """The arguments of the one-row writes: stored collection and key, value, TTL,
    creation and expiry times."""
    stored = stored_collection(collection)
    name = stored_key(key, stored)
    value = _row_value(entry.json(), collection, stored, key, name)
    return stored, name, value, ttl, entry.created_at, entry.expires_at


def _row_value(value_json: str, collection: str, stored: str, key: str, name: str) -> str:
    """The ``value`` column's text: the value's JSON, wrapped if a name is a token."""
    if is_token(stored) or is_token(name):
        return wrap_value(
            value_json,
            encode_name(collection) if is_token(stored) else None,
            encode_name(key) if is_token(name) else None,
        )
    return value_json


def _unwrapped(text: str, created_at: float | None, expires_at: float | None) -> StoredEntry:
    """The entry of a row whose value was wrapped by :func:`_row_value`."""
    value = unwrap_value(text)
    if value is None:  # not a wrapped value: let the base store report it as corrupt
        return StoredEntry("null", created_at, expires_at)
    return StoredEntry(None, created_at, expires_at, value)


async def _close_pool(pool: ConnectionPool | PoolAdapter) -> None:
    if isinstance(pool, ConnectionPool):  # a user's pool is never closed by the store
        await pool.close()


def _discard_pool(pool: ConnectionPool | PoolAdapter) -> None:
    if isinstance(pool, ConnectionPool):
        pool.discard()


class PostgreSQLStore(AtomicMixin, FullStore, plugin=PLUGIN):
    """A kv store in one PostgreSQL table.

    Nothing is connected until the first call (or :meth:`setup`); the pool is
    created then, and the table and its index if they are missing.

    Options (keywords, or a :class:`~kv_postgresql.plugin.PostgreSQLOptions`,
    where each is documented): where to connect (a ``postgresql://`` URL
    without query as the first argument, and/or ``user``, ``password``,
    ``hosts``, ``port``, ``database``, ``host``, ``sslmode``; none: libpq's
    defaults), ``table``, ``schema``, ``create_table``, the connections
    (``min_size``, ``max_size``, ``connect_timeout``, ``command_timeout``, or
    ``pool``: an asyncpg pool, left open by :meth:`close`),
    ``default_collection`` and the sweep options.

    Raises:
        InvalidOptionError: a bad table or schema name, a bad option value, or
            a URL with a query.
        InvalidURLError: a URL that is not ``postgresql://`` or ``postgres://``.
    """

    options: PostgreSQLOptions
    _sql: Statements  # the table's statements, once _open has checked its columns

    def _configure(self) -> None:
        # The password is kept as a callable that asyncpg calls when it connects, so no
        # repr of the store, its attributes or asyncpg's parameters shows it.
        self._connect_args = _connect_args(self.options)
        # One pool per event loop: an asyncpg connection works only in the loop that made it.
        self._pools = PerLoop(self._make_pool, close=_close_pool, discard=_discard_pool)
        self.qualified_table = qualified_name(self.options.schema, self.options.table)

    def __repr__(self) -> str:
        return f"<PostgreSQLStore {_describe(self._connect_args)} table={self.qualified_table}>"

    # --- lifecycle -------------------------------------------------------------------

    async def _open(self) -> None:
        pool = await self._pools.get()
        self._sql = await pool.with_connection(self._prepare_table)

    async def _make_pool(self) -> ConnectionPool | PoolAdapter:
        """The running loop's pool, with ``min_size`` connections open (or the user's)."""
        if self.options.pool is not None:
            return PoolAdapter(self.options.pool)
        pool = ConnectionPool(
            self._new_connection,
            max_size=self.options.max_size,
            wait_timeout=self.options.command_timeout,
            close_timeout=self.options.connect_timeout,
        )
        await pool.start(self.options.min_size)
        return pool

    async def _new_connection(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            **self._connect_args,
            timeout=self.options.connect_timeout,
            command_timeout=self.options.command_timeout,
        )

    async def _prepare_table(self, connection: asyncpg.Connection) -> Statements:
        """Create the table if allowed and missing; check its columns."""
        table = self.qualified_table
        columns = await _columns(connection, table)
        if not columns:
            if not self.options.create_table:
                raise StoreSetupError(
                    f"Table {table} does not exist (create_table is off)", store=self.store_name
                )
            digest = hashlib.sha256(f"kv:{table}".encode()).digest()
            lock = int.from_bytes(digest[:8], "big", signed=True)
            # The index is made in its table's schema.
            create_table, create_index = create_statements(
                table, quote(index_name(self.options.table))
            )
            async with connection.transaction():
                # Two stores creating the same table at once would collide in the catalog.
                await connection.execute("SELECT pg_advisory_xact_lock($1)", lock)
                await connection.execute(create_table)
                await connection.execute(create_index)
            columns = await _columns(connection, table)
        for name, types in REQUIRED_COLUMNS.items():
            if columns.get(name) not in types:
                found = columns.get(name, "missing")
                raise StoreSetupError(
                    f"Table {table} has no usable column {name!r} ({found}; expected"
                    f" {' or '.join(types)}): it is not a kv / py-key-value table",
                    store=self.store_name,
                )
        return Statements(table, columns["value"])

    async def _close(self) -> None:
        await self._pools.close()  # this loop's pool closed; other loops' pools discarded

    async def _connections(self) -> ConnectionPool | PoolAdapter:
        """The pool for the running loop (the user's pool, if one was passed in)."""
        return self._pools.current or await self._pools.get()

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        found = await self._read(self._sql.get, collection, key)
        return None if found is None else found[0]

    async def _read(
        self, statement: str, collection: str, key: str
    ) -> tuple[StoredEntry, asyncpg.Record] | None:
        """The entry a one-row read finds (its first three columns), and the row."""
        stored = stored_collection(collection)
        name = stored_key(key, stored)
        pool = self._pools.current or await self._pools.get()
        row = await pool.fetchrow(statement, stored, name)
        if row is None:
            return None
        if is_token(stored) or is_token(name):
            return _unwrapped(row[0], row[1], row[2]), row
        return StoredEntry(row[0], row[1], row[2]), row

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        stored = stored_collection(collection)
        names = {key: stored_key(key, stored) for key in keys}
        pool = self._pools.current or await self._pools.get()
        rows = await pool.fetch(self._sql.get_many, stored, list(set(names.values())))
        if is_token(stored):
            found = {row[0]: _unwrapped(row[1], row[2], row[3]) for row in rows}
        else:
            found = {
                row[0]: (
                    _unwrapped(row[1], row[2], row[3])
                    if is_token(row[0])
                    else StoredEntry(row[1], row[2], row[3])
                )
                for row in rows
            }
        return [found.get(names[key]) for key in keys]

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        pool = self._pools.current or await self._pools.get()
        await pool.execute(self._sql.put, *_row(collection, key, entry, ttl))

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        stored = stored_collection(collection)
        latest: dict[str, str] = {}
        for key, entry in zip(keys, entries):  # later duplicates win
            name = stored_key(key, stored)
            latest[name] = _row_value(entry.json(), collection, stored, key, name)
        # Rows are written (and locked) in one order by every call, so two calls writing
        # the same keys cannot deadlock.
        names = sorted(latest)
        first = entries[0]
        pool = self._pools.current or await self._pools.get()
        await pool.execute(
            self._sql.put_many,
            stored,
            names,
            [latest[name] for name in names],
            ttl,
            first.created_at,
            first.expires_at,
        )

    async def _delete_entry(self, collection: str, key: str) -> bool:
        stored = stored_collection(collection)
        pool = self._pools.current or await self._pools.get()
        live = await pool.fetchval(self._sql.delete, stored, stored_key(key, stored), time.time())
        return bool(live)

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        stored = stored_collection(collection)
        pool = self._pools.current or await self._pools.get()
        count = await pool.fetchval(
            self._sql.delete_many,
            stored,
            sorted({stored_key(key, stored) for key in keys}),
            time.time(),
        )
        return int(count or 0)

    # --- atomic operations ------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        return await self._write_if(self._sql.put_if_absent, collection, key, entry, ttl)

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        found = await self._read(self._sql.get_versioned, collection, key)
        return None if found is None else (found[0], str(found[1][3]))

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        return await self._write_if(self._sql.put_if_version, collection, key, entry, ttl, version)

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        stored = stored_collection(collection)
        pool = self._pools.current or await self._pools.get()
        statement = self._sql.delete_if_version
        return bool(await pool.fetchval(statement, stored, stored_key(key, stored), version, now))

    async def _write_if(
        self,
        statement: str,
        collection: str,
        key: str,
        entry: StoredEntry,
        ttl: float | None,
        *version: str,
    ) -> bool:
        """Run a conditional write; whether it wrote (it returns a row if so)."""
        pool = self._pools.current or await self._pools.get()
        return bool(await pool.fetchval(statement, *_row(collection, key, entry, ttl), *version))

    # --- optional capabilities ----------------------------------------------------------

    # The walk itself, not a generator around it: the base closes it when the caller
    # stops early (an inner generator would be left to the loop's finalizer, a task
    # per keys(limit=N) call).
    def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        return self._keyset_pages(self._sql.key_page, page_size, stored_collection(collection))

    def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        return self._keyset_pages(self._sql.collection_page, page_size)

    async def _keyset_pages(
        self, statement: str, page_size: int, *first: object
    ) -> AsyncIterator[Sequence[str]]:
        """Pages of names from a page query, each after the last *stored* name of the one before.

        Not the base store's ``_key_page`` hook, which continues after the last
        name returned: a stored name is not always the encoding of the name it
        is read as (a row another writer stored as ``"\\x01zz"`` reads as
        ``"zz"``), so continuing after ``"zz"`` would skip the keys between them.
        """
        after = ""  # every stored name sorts after the empty string
        while True:
            pool = await self._connections()
            rows = await pool.fetch(statement, *first, after, time.time(), page_size, TOKEN)
            if rows:
                # The second column is the original of a name stored as a token.
                yield [decode_name(row[0] if row[1] is None else row[1]) for row in rows]
            if len(rows) < page_size:
                return
            after = rows[-1][0]

    async def _destroy(self) -> bool:
        pool = await self._connections()
        return _status_count(await pool.execute(self._sql.destroy)) > 0

    async def _destroy_collection(self, collection: str) -> bool:
        pool = await self._connections()
        status = await pool.execute(self._sql.destroy_collection, stored_collection(collection))
        return _status_count(status) > 0

    async def _cull(self, now: float, limit: int | None) -> int:
        pool = await self._connections()
        if limit is None:
            status = await pool.execute(self._sql.cull, now)
        else:
            status = await pool.execute(self._sql.cull_some, now, limit)
        return _status_count(status)

    # --- errors ------------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """Map asyncpg's and the server's errors to kv errors (no values, no password)."""
        translated = self._translate(error)
        if translated is None and self._hide(str(error)) != str(error):
            return StoreError(f"The backend raised {type(error).__name__}: {self._say(error)}")
        return translated

    def _hide(self, text: str) -> str:
        secret = self._connect_args.get("password")
        return secret.hide(text) if isinstance(secret, Secret) else text

    def _say(self, error: BaseException) -> str:
        """``str(error)`` with the password masked (should a message ever quote it)."""
        return self._hide(str(error))

    def _translate(self, error: Exception) -> KeyValueError | None:
        where = _describe(self._connect_args)
        if isinstance(error, PoolTimeoutError):
            return StoreTimeoutError(
                f"PostgreSQL {where}: every connection was busy: {self._say(error)}"
            )
        if isinstance(error, PoolClosedError):
            return StoreConnectionError(f"PostgreSQL {where}: the store was closed")
        if is_connection_loss(error) or isinstance(error, pg.TooManyConnectionsError):
            return StoreConnectionError(f"PostgreSQL {where}: {self._say(error)}")
        if isinstance(error, asyncio.TimeoutError | TimeoutError):
            return StoreTimeoutError(
                f"PostgreSQL {where} did not answer within the command timeout"
                f" ({self.options.command_timeout} s)"
            )
        if isinstance(error, pg.QueryCanceledError | pg.LockNotAvailableError):
            return StoreTimeoutError(
                f"PostgreSQL {where} cancelled the statement: {self._say(error)}"
            )
        if isinstance(error, pg.ReadOnlySQLTransactionError):
            return ReadOnlyError(f"PostgreSQL {where} is read-only: {self._say(error)}")
        if isinstance(error, pg.UntranslatableCharacterError):
            return SerializationError(
                f"Table {self.qualified_table} keeps values as jsonb, which cannot hold NUL"
                " (\\u0000) in strings; use a table whose value column is json"
            )
        if isinstance(error, OSError):  # refused, unreachable, name not resolved
            return StoreConnectionError(f"PostgreSQL {where}: {self._say(error)}")
        if isinstance(error, pg.PostgresError):
            return StoreError(
                f"PostgreSQL error {error.sqlstate}: {self._hide(str(error.args[0]))}"
            )
        if isinstance(error, pg.InterfaceError):
            return StoreError(f"asyncpg: {self._say(error)}")
        return None


def _connect_args(options: PostgreSQLOptions) -> dict[str, Any]:
    """asyncpg's connection arguments (the password as a :class:`Secret`)."""
    args: dict[str, Any] = {}
    ports = options.port
    if options.host is not None:  # a host name or Unix socket directory instead of hosts
        args["host"] = options.host
        if len(ports) == 1:
            args["port"] = ports[0]
    elif options.hosts:
        args["host"] = list(options.hosts)
        if ports:
            args["port"] = list(ports) if len(ports) == len(options.hosts) else ports[0]
    elif ports:
        args["port"] = ports[0]
    if options.user is not None:
        args["user"] = options.user
    if options.password is not None:
        args["password"] = Secret(options.password)
    if options.database is not None:
        args["database"] = options.database
    if options.sslmode is not None:
        args["ssl"] = options.sslmode
    return args


class Secret:
    """A password that no ``repr``, ``str`` or message shows; call it to get the text.

    asyncpg accepts a callable as ``password`` and calls it when it connects.
    """

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def __call__(self) -> str:
        """The password."""
        return self._text

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a password is not pickled")

    def hide(self, text: str) -> str:
        """``text`` with every occurrence of the password masked."""
        return text.replace(self._text, "***") if self._text else text


def _describe(args: dict[str, Any]) -> str:
    """Where the store connects, for messages and ``repr`` (never the password)."""
    hosts = args.get("host")
    ports = args.get("port")
    if hosts is None:
        shown = "(libpq defaults)"
    elif isinstance(hosts, list):
        shown = ",".join(f"{name}:{port}" for name, port in zip(hosts, ports or ()))
    else:
        shown = hosts if ports is None else f"{hosts}:{ports}"
    user = args.get("user")
    return f"postgresql://{user + '@' if user else ''}{shown}/{args.get('database', '')}"
