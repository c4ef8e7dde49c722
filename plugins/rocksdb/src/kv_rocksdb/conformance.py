"""kv-conformance hooks of ``rocksdb://``: damage an entry, reopen a store.

Named by the plugin's declaration, so the conformance suite runs its
damaged-data and persistence tests on RocksDB stores, in the plugin's own tests
and under ``pytest --kv-url rocksdb://...`` or ``kv check`` (see
:mod:`kv_conformance.hooks`). Test support only: a store never imports this
module.
"""

from __future__ import annotations

from rocksdict import Rdict

from kv.names import compound_key
from kv.protocols import AsyncKeyValue
from kv_rocksdb.store import RocksDBStore

__all__ = ["HOOKS", "RocksDBConformanceHooks"]


def _rocksdb_store(store: AsyncKeyValue) -> RocksDBStore:
    if not isinstance(store, RocksDBStore):
        raise TypeError(f"the rocksdb:// conformance hooks need a RocksDBStore, not {type(store)}")
    return store


class RocksDBConformanceHooks:
    """The conformance hooks of :class:`~kv_rocksdb.store.RocksDBStore`.

    Implements :class:`kv_conformance.hooks.ConformanceHooks` (structurally:
    kv-conformance is not imported).
    """

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry with bytes that are not JSON, with plain rocksdict.

        RocksDB lets one opener at a time, so the store is closed first; it
        reopens by itself on its next call.
        """
        rocksdb = _rocksdb_store(store)
        await rocksdb.close()
        raw = Rdict(rocksdb.path)
        try:
            db_key = compound_key(collection, key)
            if db_key not in raw:
                return False
            raw[db_key] = b'{"not": "closed'
            return True
        finally:
            raw.close()

    async def reopen_store(self, store: AsyncKeyValue) -> AsyncKeyValue | None:
        """A new store object on the same directory, with the same options."""
        return RocksDBStore(_rocksdb_store(store).options)


HOOKS = RocksDBConformanceHooks()
"""The object the plugin's declaration names."""
