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

URL forms::

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
from dataclasses import field
from typing import Any, Literal

import asyncpg
from asyncpg import exceptions as pg

from kv.entry import StoredEntry
from kv.errors import (
    InvalidOptionError,
    InvalidURLError,
    KeyValueError,
    ReadOnlyError,
    SerializationError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)
from kv.loops import PerLoop
from kv.options import CommonOptions, parse_options
from kv.store import (
    BaseStore,
    CullMixin,
    DestroyCollectionMixin,
    DestroyMixin,
    EnumerateCollectionsMixin,
    EnumerateKeysMixin,
)
from kv.url import StoreURL
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
from kv_postgresql.plugin import POSTGRESQL_CAPABILITIES
from kv_postgresql.pool import (
    ConnectionPool,
    PoolAdapter,
    PoolClosedError,
    PoolTimeoutError,
    is_connection_loss,
)
from kv_postgresql.sql import (
    COLUMNS_QUERY,
    DEFAULT_TABLE,
    REQUIRED_COLUMNS,
    Statements,
    check_identifier,
    create_statements,
    index_name,
    quote,
)

__all__ = ["DEFAULT_PORT", "DEFAULT_TABLE", "PostgreSQLOptions", "PostgreSQLStore", "SSLMode"]

DEFAULT_PORT = 5432

SSLMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


class PostgreSQLOptions(CommonOptions):
    """Options of ``postgresql://``, from the URL query or keywords of ``kv.connect``.

    Attributes:
        table: The table holding the entries (a letter or ``_``, then up to 62
            letters, digits or ``_``; always quoted, so case-sensitive).
        schema: The table's schema (default: the connection's ``search_path``).
        create_table: Create the table and its index if missing (otherwise a
            missing table is a :class:`~kv.errors.StoreSetupError`).
        host: Host name or Unix socket directory, instead of the URL's hosts.
        sslmode: libpq's ``sslmode`` (``disable`` ... ``verify-full``).
        password: The password, instead of the URL's (``?password=``, as libpq
            accepts it). Never shown: not in ``repr``, messages or logs.
        min_size: Connections opened at setup (idle ones stay open for reuse).
        max_size: Most connections the pool opens.
        connect_timeout: Seconds to establish a connection.
        command_timeout: Seconds one statement may take (``none``: no limit).
        pool: An asyncpg pool to use instead of making one (keyword only; the
            store never closes it).
        default_collection, sweep_interval, sweep_limit: see
            :class:`~kv.options.CommonOptions`.
    """

    table: str = DEFAULT_TABLE
    schema: str | None = None
    create_table: bool = True
    host: str | None = None
    sslmode: SSLMode | None = None
    password: str | None = field(default=None, repr=False)
    min_size: int = 1
    max_size: int = 10
    connect_timeout: float = 10.0
    command_timeout: float | None = 30.0
    pool: asyncpg.Pool | None = None


async def _columns(connection: asyncpg.Connection, table: str) -> dict[str, str]:
    """The table's columns and their types; empty if the table does not exist."""
    return {str(row[0]): str(row[1]) for row in await connection.fetch(COLUMNS_QUERY, table)}


def _status_count(status: str) -> int:
    """Rows affected, from a command status such as ``"DELETE 3"``."""
    tail = status.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0


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


async def _close_pool(pool: ConnectionPool) -> None:
    await pool.close()


class PostgreSQLStore(
    EnumerateKeysMixin,
    EnumerateCollectionsMixin,
    DestroyMixin,
    DestroyCollectionMixin,
    CullMixin,
    BaseStore,
):
    """A kv store in one PostgreSQL table.

    Nothing is connected until the first call (or :meth:`setup`); the pool is
    created then, and the table and its index if they are missing.

    Args:
        url: ``postgresql://[user[:password]@][host[:port][,...]][/database]``
            without a query (give options as keywords), or ``None`` for
            libpq's defaults (``PGHOST``, ``PGUSER``, ...).
        pool: An asyncpg pool to use (left open by :meth:`close`).
        table, schema, create_table, host, sslmode, password, min_size, max_size,
        connect_timeout, command_timeout: see :class:`PostgreSQLOptions`.
        default_collection: Collection used when ``collection=None``.
        sweep_interval, sweep_limit: how often writes reclaim expired rows.

    Raises:
        InvalidOptionError: a bad table or schema name, or a bad option value.
        InvalidURLError: a URL that is not ``postgresql://`` or ``postgres://``.
    """

    capabilities = POSTGRESQL_CAPABILITIES
    store_name = "postgresql"

    def __init__(
        self,
        url: str | StoreURL | None = None,
        *,
        pool: asyncpg.Pool | None = None,
        table: str = DEFAULT_TABLE,
        schema: str | None = None,
        create_table: bool = True,
        host: str | None = None,
        sslmode: SSLMode | None = None,
        password: str | None = None,
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout: float = 10.0,
        command_timeout: float | None = 30.0,
        default_collection: str | None = None,
        sweep_interval: float | None = 60.0,
        sweep_limit: int = 500,
    ) -> None:
        super().__init__(default_collection=default_collection)
        self.configure_sweep(interval=sweep_interval, limit=sweep_limit)
        self.table: str = check_identifier(table, "table")
        self.schema: str | None = None if schema is None else check_identifier(schema, "schema")
        self.create_table = create_table
        if type(min_size) is not int or type(max_size) is not int or not 0 <= min_size <= max_size:
            raise InvalidOptionError(
                f"min_size and max_size must be ints with 0 <= min_size <= max_size >= 1,"
                f" not {min_size!r} and {max_size!r}"
            )
        if max_size < 1:
            raise InvalidOptionError(f"max_size must be >= 1, not {max_size!r}")
        if not 0 < connect_timeout < float("inf"):
            raise InvalidOptionError(
                f"connect_timeout must be > 0 seconds, not {connect_timeout!r}"
            )
        if command_timeout is not None and not 0 < command_timeout < float("inf"):
            raise InvalidOptionError(
                f"command_timeout must be None or > 0 seconds, not {command_timeout!r}"
            )
        # The password is kept as a callable that asyncpg calls when it connects, so no
        # repr of the store, its attributes or asyncpg's parameters shows it.
        self._connect_args = _connect_args(url, host=host, sslmode=sslmode, password=password)
        self._where = _describe(self._connect_args)
        self.min_size, self.max_size = min_size, max_size
        self.connect_timeout, self.command_timeout = connect_timeout, command_timeout
        self._adapter = None if pool is None else PoolAdapter(pool)
        # One pool per event loop: an asyncpg connection works only in the loop that made it.
        self._pools: PerLoop[ConnectionPool] = PerLoop(
            self._make_pool, close=_close_pool, discard=ConnectionPool.discard
        )
        self.qualified_table = (
            quote(self.table)
            if self.schema is None
            else f"{quote(self.schema)}.{quote(self.table)}"
        )
        self._sql = Statements(self.qualified_table)

    @classmethod
    def from_url(cls, url: StoreURL, **options: object) -> PostgreSQLStore:
        """Build a store from a ``postgresql://`` or ``postgres://`` URL.

        This is the factory named in the plugin declaration; ``kv.connect``
        calls it with the parsed URL and its keyword options (which win over
        the query).

        Raises:
            InvalidURLError: a malformed URL.
            InvalidOptionError: an unknown option or a bad value.
        """
        parsed = parse_options(url, options, PostgreSQLOptions, store=cls.store_name)
        return cls(
            url.without_query(),
            pool=parsed.pool,
            table=parsed.table,
            schema=parsed.schema,
            create_table=parsed.create_table,
            host=parsed.host,
            sslmode=parsed.sslmode,
            password=parsed.password,
            min_size=parsed.min_size,
            max_size=parsed.max_size,
            connect_timeout=parsed.connect_timeout,
            command_timeout=parsed.command_timeout,
            default_collection=parsed.default_collection,
            sweep_interval=parsed.sweep_interval,
            sweep_limit=parsed.sweep_limit,
        )

    def __repr__(self) -> str:
        return f"<PostgreSQLStore {self._where} table={self.qualified_table}>"

    # --- lifecycle -------------------------------------------------------------------

    async def _open(self) -> None:
        pool = self._adapter or await self._pools.get()
        self._sql = await pool.with_connection(self._prepare_table)

    async def _make_pool(self) -> ConnectionPool:
        """The running loop's pool, with ``min_size`` connections open."""
        pool = ConnectionPool(
            self._new_connection,
            max_size=self.max_size,
            wait_timeout=self.command_timeout,
            close_timeout=self.connect_timeout,
        )
        await pool.start(self.min_size)
        return pool

    async def _new_connection(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            **self._connect_args,
            timeout=self.connect_timeout,
            command_timeout=self.command_timeout,
        )

    async def _prepare_table(self, connection: asyncpg.Connection) -> Statements:
        """Create the table if allowed and missing; check its columns."""
        table = self.qualified_table
        columns = await _columns(connection, table)
        if not columns:
            if not self.create_table:
                raise StoreSetupError(
                    f"Table {table} does not exist (create_table is off)", store=self.store_name
                )
            digest = hashlib.sha256(f"kv:{table}".encode()).digest()
            lock = int.from_bytes(digest[:8], "big", signed=True)
            # The index is made in its table's schema.
            create_table, create_index = create_statements(table, quote(index_name(self.table)))
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
        return self._adapter or await self._pools.get()

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        stored = stored_collection(collection)
        name = stored_key(key, stored)
        pool = self._adapter or await self._pools.get()
        row = await pool.fetchrow(self._sql.get, stored, name)
        if row is None:
            return None
        if is_token(stored) or is_token(name):
            return _unwrapped(row[0], row[1], row[2])
        return StoredEntry(row[0], row[1], row[2])

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        stored = stored_collection(collection)
        names = {key: stored_key(key, stored) for key in keys}
        pool = self._adapter or await self._pools.get()
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
        stored = stored_collection(collection)
        name = stored_key(key, stored)
        pool = self._adapter or await self._pools.get()
        await pool.execute(
            self._sql.put,
            stored,
            name,
            _row_value(entry.json(), collection, stored, key, name),
            ttl,
            entry.created_at,
            entry.expires_at,
        )

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
        pool = self._adapter or await self._pools.get()
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
        pool = self._adapter or await self._pools.get()
        live = await pool.fetchval(self._sql.delete, stored, stored_key(key, stored), time.time())
        return bool(live)

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        stored = stored_collection(collection)
        pool = self._adapter or await self._pools.get()
        count = await pool.fetchval(
            self._sql.delete_many,
            stored,
            sorted({stored_key(key, stored) for key in keys}),
            time.time(),
        )
        return int(count or 0)

    # --- optional capabilities ----------------------------------------------------------

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        stored = stored_collection(collection)
        after = ""  # every stored key sorts after the empty string
        while True:
            pool = await self._connections()
            rows = await pool.fetch(
                self._sql.key_page, stored, after, time.time(), page_size, TOKEN
            )
            if rows:
                # The second column is the original of a key stored as a token.
                yield [decode_name(row[0] if row[1] is None else row[1]) for row in rows]
            if len(rows) < page_size:
                return
            after = rows[-1][0]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        after = ""
        while True:
            pool = await self._connections()
            rows = await pool.fetch(self._sql.collection_page, after, time.time(), page_size, TOKEN)
            if rows:
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
        where = self._where
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
                f" ({self.command_timeout} s)"
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


def _connect_args(
    url: str | StoreURL | None,
    *,
    host: str | None,
    sslmode: str | None,
    password: str | None = None,
) -> dict[str, Any]:
    """asyncpg's connection arguments from a URL without query."""
    args: dict[str, Any] = {}
    if url is not None:
        parsed = StoreURL.parse(url)
        if parsed.base_scheme not in ("postgresql", "postgres") or parsed.variant is not None:
            raise InvalidURLError(f"Not a postgresql:// or postgres:// URL: {parsed}")
        if parsed.query_items:
            raise InvalidOptionError(
                "Give options as keywords of PostgreSQLStore (or use kv.connect / from_url,"
                " which read the URL query)"
            )
        hosts = parsed.hosts
        if hosts:
            args["host"] = [item.name for item in hosts]
            args["port"] = [item.port or DEFAULT_PORT for item in hosts]
        if parsed.username is not None:
            args["user"] = parsed.username
        if parsed.password is not None:
            args["password"] = Secret(parsed.password)
        database = parsed.path.lstrip("/")
        if "/" in database:
            raise InvalidURLError(f"A PostgreSQL URL's path is one database name (got {parsed})")
        if database:
            args["database"] = database
    if host is not None:  # a host name or Unix socket directory instead of the URL's
        ports = args.pop("port", None)
        args["host"] = host
        if ports is not None and len(ports) == 1:
            args["port"] = ports[0]
    if sslmode is not None:
        args["ssl"] = sslmode
    if password is not None:  # the option wins over the URL's password
        args["password"] = Secret(password)
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
