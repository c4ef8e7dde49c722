"""kv-conformance hooks of ``disk://``: damage an entry, reopen a store.

Named by the plugin's declaration, so the conformance suite runs its
damaged-data and persistence tests on disk stores, in the plugin's own tests
and under ``pytest --kv-url disk://...`` or ``kv check`` (see
:mod:`kv_conformance.hooks`). Test support only: a store never imports this
module.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kv.names import compound_key, encode_path_segment
from kv.protocols import AsyncKeyValue
from kv_disk.store import DiskStore

__all__ = ["HOOKS", "DiskConformanceHooks"]

_NOT_JSON = '{"not": "closed'


def _disk_store(store: AsyncKeyValue) -> DiskStore:
    if not isinstance(store, DiskStore):
        raise TypeError(f"the disk:// conformance hooks need a DiskStore, not {type(store)}")
    return store


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
    """The conformance hooks of :class:`~kv_disk.store.DiskStore`.

    Implements :class:`kv_conformance.hooks.ConformanceHooks` (structurally:
    kv-conformance is not imported).
    """

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's row with text that is not JSON, over a raw sqlite3 connection."""
        disk = _disk_store(store)
        if disk.layout == "single":
            database, db_key = Path(disk.directory) / "cache.db", compound_key(collection, key)
        else:
            database = Path(disk.directory) / encode_path_segment(collection) / "cache.db"
            db_key = key
        if not database.is_file():
            return False
        return _overwrite(database, db_key)

    async def reopen_store(self, store: AsyncKeyValue) -> AsyncKeyValue | None:
        """A new store object on the same directory, with the same options."""
        return DiskStore(_disk_store(store).options)


HOOKS = DiskConformanceHooks()
"""The object the plugin's declaration names."""
