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
statement. The pool (:mod:`kv_postgresql.pool`) is created on first use; a
connection broken by a server restart is discarded and replaced on the next
call, so the same store carries on once the server is back.

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
from dataclasses import dataclass
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
from kv_postgresql.names import decode_name, encode_name
from kv_postgresql.plugin import POSTGRESQL_CAPABILITIES
from kv_postgresql.pool import ConnectionPool, PoolAdapter, is_connection_loss
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


@dataclass(frozen=True)
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
        table, schema, create_table, host, sslmode, min_size, max_size,
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
        self._connect_args = _connect_args(url, host=host, sslmode=sslmode)
        self._where = _describe(self._connect_args)
        self.min_size, self.max_size = min_size, max_size
        self.connect_timeout, self.command_timeout = connect_timeout, command_timeout
        self._user_pool = pool
        self._pool: ConnectionPool | PoolAdapter | None = None
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
        if self._pool is None:  # kept if setting up the table failed: the next call retries
            if self._user_pool is not None:
                self._pool = PoolAdapter(self._user_pool)
            else:
                self._pool = ConnectionPool(self._new_connection, max_size=self.max_size)
        pool = self._pool
        self._sql = await pool.with_connection(self._prepare_table)
        if isinstance(pool, ConnectionPool):
            await pool.fill(self.min_size)

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
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close(self.connect_timeout)

    @property
    def _connections(self) -> ConnectionPool | PoolAdapter:
        pool = self._pool
        if pool is None:
            raise StoreConnectionError("The store is closed")
        return pool

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        row = await self._connections.fetchrow(
            self._sql.get, encode_name(collection), encode_name(key)
        )
        if row is None:
            return None
        return StoredEntry(row[0], row[1], row[2])

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        stored = {key: encode_name(key) for key in keys}
        rows = await self._connections.fetch(
            self._sql.get_many, encode_name(collection), list(set(stored.values()))
        )
        found = {row[0]: StoredEntry(row[1], row[2], row[3]) for row in rows}
        return [found.get(stored[key]) for key in keys]

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        await self._connections.execute(
            self._sql.put,
            encode_name(collection),
            encode_name(key),
            entry.json(),
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
        latest = {encode_name(key): entry.json() for key, entry in zip(keys, entries)}
        first = entries[0]
        await self._connections.execute(
            self._sql.put_many,
            encode_name(collection),
            list(latest),
            list(latest.values()),
            ttl,
            first.created_at,
            first.expires_at,
        )

    async def _delete_entry(self, collection: str, key: str) -> bool:
        live = await self._connections.fetchval(
            self._sql.delete, encode_name(collection), encode_name(key), time.time()
        )
        return bool(live)

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        count = await self._connections.fetchval(
            self._sql.delete_many,
            encode_name(collection),
            list({encode_name(key) for key in keys}),
            time.time(),
        )
        return int(count or 0)

    # --- optional capabilities ----------------------------------------------------------

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        stored_collection = encode_name(collection)
        after = ""  # every stored key sorts after the empty string
        while True:
            rows = await self._connections.fetch(
                self._sql.key_page, stored_collection, after, time.time(), page_size
            )
            page = [row[0] for row in rows]
            if page:
                yield [decode_name(key) for key in page]
            if len(page) < page_size:
                return
            after = page[-1]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        after = ""
        while True:
            rows = await self._connections.fetch(
                self._sql.collection_page, after, time.time(), page_size
            )
            page = [row[0] for row in rows]
            if page:
                yield [decode_name(name) for name in page]
            if len(page) < page_size:
                return
            after = page[-1]

    async def _destroy(self) -> bool:
        return _status_count(await self._connections.execute(self._sql.destroy)) > 0

    async def _destroy_collection(self, collection: str) -> bool:
        status = await self._connections.execute(
            self._sql.destroy_collection, encode_name(collection)
        )
        return _status_count(status) > 0

    async def _cull(self, now: float, limit: int | None) -> int:
        if limit is None:
            status = await self._connections.execute(self._sql.cull, now)
        else:
            status = await self._connections.execute(self._sql.cull_some, now, limit)
        return _status_count(status)

    # --- errors ------------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """Map asyncpg's and the server's errors to kv errors (messages carry no values)."""
        where = self._where
        if is_connection_loss(error) or isinstance(error, pg.TooManyConnectionsError):
            return StoreConnectionError(f"PostgreSQL {where}: {error}")
        if isinstance(error, asyncio.TimeoutError | TimeoutError):
            return StoreTimeoutError(
                f"PostgreSQL {where} did not answer within the command timeout"
                f" ({self.command_timeout} s)"
            )
        if isinstance(error, pg.QueryCanceledError | pg.LockNotAvailableError):
            return StoreTimeoutError(f"PostgreSQL {where} cancelled the statement: {error}")
        if isinstance(error, pg.ReadOnlySQLTransactionError):
            return ReadOnlyError(f"PostgreSQL {where} is read-only: {error}")
        if isinstance(error, pg.UntranslatableCharacterError):
            return SerializationError(
                f"Table {self.qualified_table} keeps values as jsonb, which cannot hold NUL"
                " (\\u0000) in strings; use a table whose value column is json"
            )
        if isinstance(error, OSError):  # refused, unreachable, name not resolved
            return StoreConnectionError(f"PostgreSQL {where}: {error}")
        if isinstance(error, pg.PostgresError):
            return StoreError(f"PostgreSQL error {error.sqlstate}: {error.args[0]}")
        if isinstance(error, pg.InterfaceError):
            return StoreError(f"asyncpg: {error}")
        return None


def _connect_args(
    url: str | StoreURL | None, *, host: str | None, sslmode: str | None
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
            args["password"] = parsed.password
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
    return args


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
