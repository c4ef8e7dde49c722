"""How kv-conformance damages an entry of a ``postgresql://`` store.

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it. The suite reopens a store with its options, never a URL
rebuilt with the password in it.
"""

from __future__ import annotations

import asyncpg

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_postgresql.names import encode_name
from kv_postgresql.store import PostgreSQLStore

__all__ = ["HOOKS", "PostgreSQLConformanceHooks"]


def _user_pool(store: PostgreSQLStore) -> asyncpg.Pool | None:
    """The pool the store was given (``None``: it makes its own connections)."""
    pool: asyncpg.Pool | None = store.options.pool
    return pool


class PostgreSQLConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_postgresql.store.PostgreSQLStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Replace the row's value with JSON that is not an object, with a plain UPDATE.

        The statement runs on a new asyncpg connection with the store's
        connection arguments (or on the pool the store was given), outside the
        store's API.
        """
        store = store_of_type(store, PostgreSQLStore)
        postgresql = store
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
            **postgresql._connect_args, timeout=postgresql.options.connect_timeout
        )
        try:
            status = await connection.execute(statement, *arguments)
        finally:
            await connection.close()
        return status == "UPDATE 1"


HOOKS = PostgreSQLConformanceHooks()
"""The object the plugin's declaration names."""
