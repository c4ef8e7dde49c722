"""kv-conformance hooks of ``postgresql://``: damage an entry, reopen a store.

Named by the plugin's declaration, so the conformance suite runs its
damaged-data and persistence tests on PostgreSQL stores, in the plugin's own
tests and under ``pytest --kv-url postgresql://...`` or ``kv check`` (see
:mod:`kv_conformance.hooks`). Test support only: a store never imports this
module."""

from __future__ import annotations

import asyncpg

from kv.protocols import AsyncKeyValue
from kv_postgresql.names import encode_name
from kv_postgresql.store import PostgreSQLStore

__all__ = ["HOOKS", "PostgreSQLConformanceHooks"]


def _postgresql_store(store: AsyncKeyValue) -> PostgreSQLStore:
    if not isinstance(store, PostgreSQLStore):
        raise TypeError(
            f"the postgresql:// conformance hooks need a PostgreSQLStore, not {type(store)}"
        )
    return store


def _user_pool(store: PostgreSQLStore) -> asyncpg.Pool | None:
    """The pool the store was given (``None``: it makes its own connections)."""
    adapter = store._adapter
    return None if adapter is None else adapter.pool


class PostgreSQLConformanceHooks:
    """The conformance hooks of :class:`~kv_postgresql.store.PostgreSQLStore`.

    Implements :class:`kv_conformance.hooks.ConformanceHooks` (structurally:
    kv-conformance is not imported).
    """

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Replace the row's value with JSON that is not an object, with a plain UPDATE.

        The statement runs on a new asyncpg connection with the store's
        connection arguments (or on the pool the store was given), outside the
        store's API.
        """
        postgresql = _postgresql_store(store)
        await postgresql.setup()  # the table exists
        statement = (
            f"UPDATE {postgresql.qualified_table} SET value = '[1, 2]'"  # noqa: S608 - the table name is validated and quoted by the store
            " WHERE collection = $1 AND key = $2"
        )
        arguments = (encode_name(collection), encode_name(key))
        pool = _user_pool(postgresql)
        if pool is not None:
            status: str = await pool.execute(statement, *arguments)
            return status == "UPDATE 1"
        connection = await asyncpg.connect(
            **postgresql._connect_args, timeout=postgresql.connect_timeout
        )
        try:
            status = await connection.execute(statement, *arguments)
        finally:
            await connection.close()
        return status == "UPDATE 1"

    async def reopen_store(self, store: AsyncKeyValue) -> AsyncKeyValue | None:
        """A new store object on the same server, database and table, with the same options."""
        # The same options (connection, password, table, pool, sweep): never a URL
        # rebuilt with the password in it.
        return PostgreSQLStore(_postgresql_store(store).options)


HOOKS = PostgreSQLConformanceHooks()
"""The object the plugin's declaration names."""
