"""kv-conformance hooks of ``duckdb://``: damage an entry, reopen a store.

Named by the plugin's declaration, so the conformance suite runs its
damaged-data and persistence tests on DuckDB stores (files and ``:memory:``),
in the plugin's own tests and under ``pytest --kv-url duckdb://...`` or ``kv
check`` (see :mod:`kv_conformance.hooks`). Test support only: a store never
imports this module.
"""

from __future__ import annotations

import duckdb

from kv.protocols import AsyncKeyValue
from kv_duckdb.store import MEMORY_PATH, DuckDBStore

__all__ = ["HOOKS", "DuckDBConformanceHooks"]

_NOT_AN_OBJECT = '"not an object"'


def _duckdb_store(store: AsyncKeyValue) -> DuckDBStore:
    if not isinstance(store, DuckDBStore):
        raise TypeError(f"the duckdb:// conformance hooks need a DuckDBStore, not {type(store)}")
    return store


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
    """The conformance hooks of :class:`~kv_duckdb.store.DuckDBStore`.

    Implements :class:`kv_conformance.hooks.ConformanceHooks` (structurally:
    kv-conformance is not imported).
    """

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the row's value with JSON that is not an object.

        A database file is changed over a raw connection, after closing the
        store (DuckDB keeps one instance per file and process; the store
        reopens by itself). A private ``:memory:`` database can only be reached
        through the store's own connection.
        """
        duck = _duckdb_store(store)
        if duck.path == MEMORY_PATH:
            await duck.setup()
            return await duck._run(
                lambda connection: _overwrite(connection, duck.table, collection, key)
            )
        await duck.close()
        raw = duckdb.connect(duck.path)
        try:
            return _overwrite(raw, duck.table, collection, key)
        finally:
            raw.close()

    async def reopen_store(self, store: AsyncKeyValue) -> AsyncKeyValue | None:
        """A new store object on the same database file and table (``None`` for ``:memory:``)."""
        duck = _duckdb_store(store)
        if duck.path == MEMORY_PATH:
            return None  # a private in-memory database ends with its store
        return DuckDBStore(duck.options)


HOOKS = DuckDBConformanceHooks()
"""The object the plugin's declaration names."""
