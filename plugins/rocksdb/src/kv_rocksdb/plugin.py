"""The plugin module of kv-rocksdb: what kv imports to learn about ``rocksdb://``.

It imports only ``kv.capabilities`` and ``kv.plugin``; rocksdict and
:mod:`kv_rocksdb.store` are imported when a ``rocksdb://`` URL is opened.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.plugin import StorePlugin, hookimpl

__all__ = ["ROCKSDB_CAPABILITIES", "kv_store_plugins"]

ROCKSDB_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=True,
    native_ttl=False,
    persistent=True,
)
"""What :class:`kv_rocksdb.store.RocksDBStore` can do (its class uses this value)."""


@hookimpl
def kv_store_plugins() -> list[StorePlugin]:
    """Declare the ``rocksdb://`` scheme."""
    return [
        StorePlugin(
            schemes=("rocksdb",),
            factory="kv_rocksdb.store:RocksDBStore.from_url",
            capabilities=ROCKSDB_CAPABILITIES,
            description="A RocksDB database directory (rocksdict), one process at a time",
        )
    ]
