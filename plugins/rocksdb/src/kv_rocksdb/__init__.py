"""kv-rocksdb: a kv store in a RocksDB database directory, through rocksdict.

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("rocksdb:///var/lib/app/kv")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it directly with ``RocksDBStore(path="kv")``. This module stays
light: the store is imported from :mod:`kv_rocksdb.store` on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_rocksdb.plugin import ROCKSDB_CAPABILITIES
    from kv_rocksdb.store import RocksDBOptions, RocksDBStore

__all__ = ["ROCKSDB_CAPABILITIES", "RocksDBOptions", "RocksDBStore"]

_LAZY = {
    "ROCKSDB_CAPABILITIES": "kv_rocksdb.plugin",
    "RocksDBOptions": "kv_rocksdb.store",
    "RocksDBStore": "kv_rocksdb.store",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_rocksdb' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
