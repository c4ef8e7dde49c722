"""The declaration of ``postgresql://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry points (``postgresql`` and
``postgres``). It imports only kv: listing plugins or resolving the scheme
never imports asyncpg or :mod:`kv_postgresql.store`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from kv import checks
from kv.capabilities import Capabilities
from kv.errors import InvalidOptionError, InvalidURLError
from kv.options import CommonOptions, option
from kv.plugin import StorePlugin
from kv.url import StoreURL

__all__ = ["PLUGIN", "POSTGRESQL_CAPABILITIES", "PostgreSQLOptions", "SSLMode"]

DEFAULT_PORT = 5432
"""The port of a URL host that names none."""

DEFAULT_TABLE = "kv_store"
"""The table entries are kept in, unless the ``table`` option names another
(py-key-value's default, so both libraries share it out of the box)."""

SSLMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

# asyncpg is an asyncio library: asyncio_only.
POSTGRESQL_CAPABILITIES = Capabilities.every_operation(
    persistent=True, asyncio_only=True, atomic=True
)
"""What :class:`kv_postgresql.store.PostgreSQLStore` can do."""


def _ports(value: object) -> tuple[int, ...]:
    ports = (value,) if isinstance(value, int) else value  # port=5433 for every host
    if not isinstance(ports, tuple) or any(type(p) is not int or not 0 < p < 65536 for p in ports):
        raise ValueError(f"must be port numbers from 1 to 65535, not {value!r}")
    return ports


def _pool(value: object) -> object:
    if isinstance(value, str):  # from a URL query: a pool cannot be written as text
        raise TypeError("must be an asyncpg pool, passed as a keyword argument")
    return value


class PostgreSQLOptions(CommonOptions):
    """Options of ``postgresql://``, from the URL or keywords (``PostgreSQLStore``, ``kv.connect``).

    The URL's location gives ``user``, ``password``, ``hosts``, ``port`` and
    ``database`` (``postgresql://user:password@host1,host2:5433/database``);
    a query option or keyword of the same name wins over it.

    Attributes:
        user: The user name (default: libpq's, ``PGUSER`` or the login name).
        password: The password (the URL's, or ``?password=`` as libpq accepts
            it). Never shown: not in ``repr``, messages or logs.
        hosts: Host names, tried in order (asyncpg's failover).
        port: The port of each host (5432 unless the URL says otherwise), or
            one port for all.
        database: The database (default: libpq's, ``PGDATABASE`` or the user's).
        host: A host name or Unix socket directory instead of ``hosts``.
        sslmode: libpq's ``sslmode`` (``disable`` ... ``verify-full``).
        table: The table holding the entries (a letter or ``_``, then up to 62
            letters, digits or ``_``; always quoted, so case-sensitive).
        schema: The table's schema (default: the connection's ``search_path``).
        create_table: Create the table and its index if missing (otherwise a
            missing table is a :class:`~kv.errors.StoreSetupError`).
        min_size: Connections opened when an event loop first uses the store.
        max_size: Most connections open at once per event loop; more callers
            wait in line.
        connect_timeout: Seconds to establish a connection.
        command_timeout: Seconds one statement (or the wait for a free
            connection) may take (``none``: no limit).
        pool: An ``asyncpg.Pool`` to use instead of making one (keyword only;
            the store never closes it).
    """

    url_positional = True  # PostgreSQLStore("postgresql://host/db", table="t")
    user: str | None = None
    password: str | None = None  # repr() shows it as *** (a secret option)
    hosts: tuple[str, ...] = ()
    port: tuple[int, ...] = option(default=(), check=_ports)
    database: str | None = None
    host: str | None = None
    sslmode: SSLMode | None = None
    table: str = option(default=DEFAULT_TABLE, check=checks.sql_identifier)
    schema: str | None = option(default=None, check=checks.optional(checks.sql_identifier))
    create_table: bool = True
    min_size: int = 1
    max_size: int = 10
    connect_timeout: float = option(default=10.0, check=checks.positive_seconds)
    command_timeout: float | None = option(default=30.0, check=checks.positive_seconds)
    pool: Any = option(default=None, check=_pool)

    def __post_init__(self) -> None:
        super().__post_init__()
        low, high = self.min_size, self.max_size
        if type(low) is not int or type(high) is not int or not 0 <= low <= high or high < 1:
            raise InvalidOptionError(
                "min_size and max_size must be ints with 0 <= min_size <= max_size >= 1,"
                f" not {low!r} and {high!r}"
            )
        if len(self.port) > 1 and len(self.port) != len(self.hosts):
            raise InvalidOptionError(
                f"port must name one port or one per host, not {len(self.port)} ports for"
                f" {len(self.hosts)} host(s)"
            )

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """``postgresql://[user[:password]@][host[:port][,...]][/database]`` (or ``postgres://``).

        Raises:
            InvalidURLError: another scheme, or a path of more than one name.
        """
        if url.base_scheme not in ("postgresql", "postgres") or url.variant is not None:
            raise InvalidURLError(f"Not a postgresql:// or postgres:// URL: {url}")
        database = url.path.lstrip("/")
        if "/" in database:
            raise InvalidURLError(f"A PostgreSQL URL's path is one database name (got {url})")
        hosts = url.hosts
        located = {
            "user": url.username,
            "password": url.password,
            "hosts": tuple(host.name for host in hosts),
            "port": tuple(host.port or DEFAULT_PORT for host in hosts),
            "database": database or None,
        }
        # A query option wins over the location (``?password=`` over the URL's password).
        return {name: value for name, value in located.items() if name not in url.query}


PLUGIN = StorePlugin(
    store="kv_postgresql.store:PostgreSQLStore",
    options=PostgreSQLOptions,
    capabilities=POSTGRESQL_CAPABILITIES,
    description="One PostgreSQL table (asyncpg), py-key-value's layout",
    conformance="kv_postgresql.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points ``postgresql`` and ``postgres`` name."""
