"""The declaration of ``sqlite://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point::

    [project.entry-points."kv.stores"]
    sqlite = "kv_sqlite.plugin:PLUGIN"

It imports only kv: listing plugins or resolving the scheme never imports
:mod:`sqlite3` or :mod:`kv_sqlite.store`, which is imported when a
``sqlite://`` URL is opened.
"""

from __future__ import annotations

from kv.plugin import Capabilities, LocalPathOptions, StorePlugin, checks, option

__all__ = ["PLUGIN", "SQLITE_CAPABILITIES", "SQLiteOptions"]

SQLITE_CAPABILITIES = Capabilities.every_operation(persistent=True, atomic=True)
"""What :class:`kv_sqlite.store.SQLiteStore` can do (a ``:memory:`` store is not
``persistent``)."""


def _table(value: object) -> str:
    """A table name safe to quote into SQL that SQLite does not reserve."""
    table = checks.sql_identifier(value)
    if table.lower().startswith("sqlite_"):
        raise ValueError(f"must not start with 'sqlite_' (SQLite reserves it), not {table!r}")
    return table


class SQLiteOptions(LocalPathOptions):
    """Options of ``sqlite://``, from the URL or keywords of ``SQLiteStore`` / ``kv.connect``.

    Attributes:
        path: The database file (the URL's path), or ``:memory:`` for a private
            in-memory database.
        table: The table that holds the entries: a letter or ``_`` followed by
            up to 62 letters, digits or ``_``. Several stores can share one
            file with different tables; ``destroy()`` empties only its own.
        timeout: Seconds to wait for another connection's lock before a call
            fails with ``StoreTimeoutError``.
    """

    path_kind = "database path"
    memory_path = ":memory:"
    table: str = option(default="kv_entries", check=_table)
    timeout: float = option(default=5.0, check=checks.seconds)


PLUGIN = StorePlugin(
    store="kv_sqlite.store:SQLiteStore",
    options=SQLiteOptions,
    capabilities=SQLITE_CAPABILITIES,
    description="One SQLite database file (standard library sqlite3), or :memory:",
)
"""The declaration the ``kv.stores`` entry point ``sqlite`` names."""
