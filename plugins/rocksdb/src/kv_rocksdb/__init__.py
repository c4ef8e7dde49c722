"""kv-rocksdb: a kv store in a RocksDB database directory, through rocksdict.

Once the distribution is installed, ``kv.connect("rocksdb:///var/lib/app/kv")`` opens
it; or build it directly with ``RocksDBStore("kv", sync=True)``. The store (and
rocksdict) is imported on first access to :class:`RocksDBStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_rocksdb.plugin import ROCKSDB_CAPABILITIES, RocksDBOptions

if TYPE_CHECKING:
    from kv_rocksdb.store import RocksDBStore

__all__ = ["ROCKSDB_CAPABILITIES", "RocksDBOptions", "RocksDBStore"]

__getattr__ = lazy_exports(__name__, {"RocksDBStore": "kv_rocksdb.store"})
