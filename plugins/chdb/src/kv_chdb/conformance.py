"""How kv-conformance damages an entry of a ``chdb://`` store.

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it.
"""

from __future__ import annotations

import time

from chdb.session import Session

from kv.protocols import AsyncKeyValue
from kv_chdb.sql import escape_parameter, json_rows
from kv_chdb.store import ChDBStore
from kv_conformance.hooks import store_of_type

__all__ = ["HOOKS", "ChDBConformanceHooks"]


def _insert_damaged(session: Session, table: str, collection: str, key: str) -> bool:
    """Insert a newer version of the row whose document is not JSON, if the row exists."""
    found = session.query(  # type: ignore[no-untyped-call]
        f'SELECT count() FROM "{table}" FINAL'  # noqa: S608 - the table name is validated by the store
        " WHERE collection = {c:String} AND key = {k:String}",
        "CSV",
        params={"c": escape_parameter(collection), "k": escape_parameter(key)},
    )
    if found.bytes().strip() != b"1":
        return False
    row = {
        "collection": collection,
        "key": key,
        "document": '{"not": "closed',
        "expires_at": None,
        "version": time.time_ns(),
    }
    session.query(  # type: ignore[no-untyped-call]
        f'INSERT INTO "{table}" (collection, key, document, expires_at, version)'
        " FORMAT JSONEachRow\n" + json_rows([row])
    )
    return True


class ChDBConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_chdb.store.ChDBStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Insert a newer row whose document is not JSON, through the store's own chDB session.

        chDB runs one embedded ClickHouse per process and path, so the raw
        query goes through the store's session (in its worker thread).
        """
        store = store_of_type(store, ChDBStore)
        await store.setup()
        table = store.options.table
        return await store._engine.run(
            lambda session: _insert_damaged(session, table, collection, key)
        )


HOOKS = ChDBConformanceHooks()
"""The object the plugin's declaration names."""
