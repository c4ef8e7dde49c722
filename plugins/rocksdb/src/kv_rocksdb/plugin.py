"""The declaration of ``rocksdb://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports rocksdict or
:mod:`kv_rocksdb.store`.
"""

from __future__ import annotations

from kv.plugin import Capabilities, LocalPathOptions, StorePlugin, checks, option

__all__ = ["PLUGIN", "ROCKSDB_CAPABILITIES", "RocksDBOptions"]

ROCKSDB_CAPABILITIES = Capabilities.every_operation(persistent=True, atomic=True)
"""What :class:`kv_rocksdb.store.RocksDBStore` can do."""


class RocksDBOptions(LocalPathOptions):
    """Options of ``rocksdb://``, from the URL or keywords of ``RocksDBStore`` / ``kv.connect``.

    Attributes:
        path: The database directory (the URL's path).
        lock_timeout: Seconds to keep retrying when another process (or
            another store in this process) has the database open.
        sync: Sync the write-ahead log to disk on every write, so a write
            that returned survives a power loss, not only a process crash.
    """

    lock_timeout: float = option(default=5.0, check=checks.seconds)
    sync: bool = False


PLUGIN = StorePlugin(
    store="kv_rocksdb.store:RocksDBStore",
    options=RocksDBOptions,
    capabilities=ROCKSDB_CAPABILITIES,
    description="A RocksDB database directory (rocksdict), one process at a time",
)
"""The declaration the ``kv.stores`` entry point ``rocksdb`` names."""
