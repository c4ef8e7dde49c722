"""How kv-conformance damages an entry of a ``rocksdb://`` store.

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it.
"""

from __future__ import annotations

from rocksdict import Rdict

from kv.names import compound_key
from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_rocksdb.store import RocksDBStore

__all__ = ["HOOKS", "RocksDBConformanceHooks"]


class RocksDBConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_rocksdb.store.RocksDBStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry with bytes that are not JSON, with plain rocksdict.

        RocksDB lets one opener at a time, so the store is closed first; it
        reopens by itself on its next call.
        """
        store = store_of_type(store, RocksDBStore)
        await store.close()
        raw = Rdict(store.options.path)
        try:
            db_key = compound_key(collection, key)
            if db_key not in raw:
                return False
            raw[db_key] = b'{"not": "closed'
            return True
        finally:
            raw.close()


HOOKS = RocksDBConformanceHooks()
"""The object the plugin's declaration names."""
