"""How kv-conformance damages an entry of a ``duckdb://`` store (files and ``:memory:``).

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it.
"""

from __future__ import annotations

import duckdb

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_duckdb.store import DuckDBStore

__all__ = ["HOOKS", "DuckDBConformanceHooks"]

_NOT_AN_OBJECT = '"not an object"'


def _overwrite(
    connection: duckdb.DuckDBPyConnection, table: str, collection: str, key: str
) -> bool:
    """Set the row's value to JSON that is not an object; whether the row existed."""
    rows = connection.execute(
        f'UPDATE "{table}" SET value = ? WHERE collection = ? AND key = ? RETURNING key',  # noqa: S608 - the table name is validated by the store
        [_NOT_AN_OBJECT, collection, key],
    ).fetchall()
    return len(rows) == 1


class DuckDBConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_duckdb.store.DuckDBStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the row's value with JSON that is not an object.

        A database file is changed over a raw connection, after closing the
        store (DuckDB keeps one instance per file and process; the store
        reopens by itself). A private ``:memory:`` database can only be reached
        through the store's own connection.
        """
        store = store_of_type(store, DuckDBStore)
        table = store.options.table
        if store.options.in_memory:
            await store.setup()
            return await store._engine.run(
                lambda connection: _overwrite(connection, table, collection, key)
            )
        await store.close()
        raw = duckdb.connect(store.options.path)
        try:
            return _overwrite(raw, table, collection, key)
        finally:
            raw.close()


HOOKS = DuckDBConformanceHooks()
"""The object the plugin's declaration names."""
