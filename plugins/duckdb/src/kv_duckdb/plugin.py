"""The declaration of ``duckdb://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports duckdb or
:mod:`kv_duckdb.store`.
"""

from __future__ import annotations

from kv.plugin import Capabilities, LocalPathOptions, StorePlugin, checks, option

__all__ = ["DUCKDB_CAPABILITIES", "PLUGIN", "DuckDBOptions"]

DUCKDB_CAPABILITIES = Capabilities.every_operation(persistent=True, atomic=True)
"""What :class:`kv_duckdb.store.DuckDBStore` can do (a ``:memory:`` store is not
``persistent``)."""


class DuckDBOptions(LocalPathOptions):
    """Options of ``duckdb://``, from the URL or keywords of ``DuckDBStore`` / ``kv.connect``.

    Attributes:
        path: The database file (the URL's path), or ``:memory:`` for a private
            in-memory database.
        table: The table that holds the entries: a letter or ``_`` followed by
            up to 62 letters, digits or ``_``. ``destroy()`` empties only it.
        lock_timeout: Seconds to keep retrying when another process has the
            database file open.
        inline_budget: Seconds a point read (one key) may hold the event loop
            (1 ms by default); three reads in a row over it send the store's
            reads to its worker thread for a second. ``none``: every call in
            the worker thread. Writes of a database file always run in the
            worker thread (each commit syncs DuckDB's log).
    """

    path_kind = "database path"
    memory_path = ":memory:"
    table: str = option(default="kv_entries", check=checks.sql_identifier)
    lock_timeout: float = option(default=5.0, check=checks.seconds)


PLUGIN = StorePlugin(
    store="kv_duckdb.store:DuckDBStore",
    options=DuckDBOptions,
    capabilities=DUCKDB_CAPABILITIES,
    description="One DuckDB table, queryable with SQL (a file or :memory:)",
)
"""The declaration the ``kv.stores`` entry point ``duckdb`` names."""
