"""How kv-conformance damages an entry of a ``disk://`` store.

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kv.names import compound_key, encode_path_segment
from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_disk.store import DiskStore

__all__ = ["HOOKS", "DiskConformanceHooks"]

_NOT_JSON = '{"not": "closed'


def _overwrite(database: Path, db_key: str) -> bool:
    """Set the raw row ``db_key`` of ``database`` to text that is not JSON."""
    raw = sqlite3.connect(database)
    try:
        with raw:  # commits
            cursor = raw.execute(
                "UPDATE Cache SET value = ? WHERE key = ? AND raw = 1", (_NOT_JSON, db_key)
            )
        return cursor.rowcount == 1
    finally:
        raw.close()


class DiskConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_disk.store.DiskStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's row with text that is not JSON, over a raw sqlite3 connection."""
        store = store_of_type(store, DiskStore)
        if store.options.layout == "single":
            database, db_key = (
                Path(store.options.directory) / "cache.db",
                compound_key(collection, key),
            )
        else:
            database = Path(store.options.directory) / encode_path_segment(collection) / "cache.db"
            db_key = key
        if not database.is_file():
            return False
        return _overwrite(database, db_key)


HOOKS = DiskConformanceHooks()
"""The object the plugin's declaration names."""
