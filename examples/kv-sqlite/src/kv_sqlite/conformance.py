"""How kv-conformance damages an entry of a ``sqlite://`` store.

The conformance suite cannot damage a stored entry by itself: this module
does it, for SQLite (the suite reopens a store by itself, as
``SQLiteStore(store.options)``). kv finds it by its name (``HOOKS`` in the
``conformance`` module of the store's package, ``kv_sqlite``), so the
suite's damaged-data test runs on SQLite stores in the plugin's own tests and
under ``pytest --kv-url sqlite://...`` or ``kv check`` (see
:mod:`kv_conformance.hooks`).

It imports only what the plugin already depends on, and a store never
imports it.
"""

from __future__ import annotations

import sqlite3

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_sqlite.store import SQLiteStore

__all__ = ["HOOKS", "SQLiteConformanceHooks"]


def _overwrite(connection: sqlite3.Connection, table: str, collection: str, key: str) -> bool:
    """Set the row's value to text that is not JSON; whether the row existed."""
    with connection:  # commits
        cursor = connection.execute(
            f'UPDATE "{table}" SET value = ? WHERE collection = ? AND key = ?',  # noqa: S608 - the table name is validated by the store
            ('{"not": "closed', collection, key),
        )
    return cursor.rowcount == 1


class SQLiteConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_sqlite.store.SQLiteStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the row's value with text that is not JSON, over a raw connection.

        A private ``:memory:`` database is reached through the store's own
        connection instead.
        """
        store = store_of_type(store, SQLiteStore)
        table = store.options.table
        if store.options.in_memory:
            await store.setup()
            return await store._run(
                lambda connection: _overwrite(connection, table, collection, key)
            )
        raw = sqlite3.connect(store.options.path)
        try:
            return _overwrite(raw, table, collection, key)
        finally:
            raw.close()


HOOKS = SQLiteConformanceHooks()
"""The object the plugin's declaration names."""
