"""The declaration of ``postgresql://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry points (``postgresql`` and
``postgres``). It imports only kv: listing plugins or resolving the scheme
never imports asyncpg or :mod:`kv_postgresql.store`.
"""

from __future__ import annotations

from typing import Any, Literal

from kv.errors import InvalidOptionError
from kv.plugin import Capabilities, ServerOptions, StorePlugin, checks, option

__all__ = ["PLUGIN", "POSTGRESQL_CAPABILITIES", "PostgreSQLOptions", "SSLMode"]

DEFAULT_TABLE = "kv_store"
"""The table entries are kept in, unless the ``table`` option names another
(py-key-value's default, so both libraries share it out of the box)."""

SSLMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

# asyncpg is an asyncio library: asyncio_only.
POSTGRESQL_CAPABILITIES = Capabilities.every_operation(
    persistent=True, asyncio_only=True, atomic=True
)
"""What :class:`kv_postgresql.store.PostgreSQLStore` can do."""


class PostgreSQLOptions(ServerOptions, default_port=5432, path_option="database"):
    """Options of ``postgresql://``, from the URL or keywords (``PostgreSQLStore``, ``kv.connect``).

    The URL's location gives ``user``, ``password``, ``hosts``, ``port`` (5432
    unless it says otherwise) and ``database``
    (``postgresql://user:password@host1,host2:5433/database``); a query option
    or keyword of the same name wins over it. The ``user`` defaults to libpq's
    (``PGUSER`` or the login name); ``hosts`` are tried in order (asyncpg's
    failover); ``?password=`` is accepted as libpq accepts it.

    Attributes:
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
        pool: An ``asyncpg.Pool`` to use instead of making one (keyword only;
            the store never closes it).
    """

    database: str | None = None
    host: str | None = None
    sslmode: SSLMode | None = None
    table: str = option(default=DEFAULT_TABLE, check=checks.sql_identifier)
    schema: str | None = option(default=None, check=checks.optional(checks.sql_identifier))
    create_table: bool = True
    min_size: int = 1
    max_size: int = 10
    pool: Any = option(default=None, check=checks.keyword_only)

    def __post_init__(self) -> None:
        super().__post_init__()
        low, high = self.min_size, self.max_size
        if type(low) is not int or type(high) is not int or not 0 <= low <= high or high < 1:
            raise InvalidOptionError(
                "min_size and max_size must be ints with 0 <= min_size <= max_size >= 1,"
                f" not {low!r} and {high!r}"
            )


PLUGIN = StorePlugin(
    store="kv_postgresql.store:PostgreSQLStore",
    options=PostgreSQLOptions,
    capabilities=POSTGRESQL_CAPABILITIES,
    description="One PostgreSQL table (asyncpg), py-key-value's layout",
)
"""The declaration the ``kv.stores`` entry points ``postgresql`` and ``postgres`` name."""
