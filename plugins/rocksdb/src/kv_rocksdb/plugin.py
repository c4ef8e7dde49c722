"""The plugin module of kv-rocksdb: what kv imports to learn about ``rocksdb://``.

It imports only ``kv.capabilities`` and ``kv.plugin``; rocksdict and
:mod:`kv_rocksdb.store` are imported when a ``rocksdb://`` URL is opened.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["ROCKSDB_CAPABILITIES", "PLUGIN"]

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


PLUGIN = StorePlugin(
    store="kv_rocksdb.store:RocksDBStore",
    options=CommonOptions,
    capabilities=ROCKSDB_CAPABILITIES,
    description="A RocksDB database directory (rocksdict), one process at a time",
    conformance="kv_rocksdb.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
