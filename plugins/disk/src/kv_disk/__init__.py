"""kv-disk: a kv store in one directory, in diskcache's format, without pickle.

Once the distribution is installed, ``kv.connect("disk:///var/cache/app")`` opens it; or
build it with ``DiskStore("/var/cache/app", layout="per-collection")``. It reads and
writes the ``cache.db`` that py-key-value's ``DiskStore`` (diskcache) keeps, with the
standard library's :mod:`sqlite3` and never with diskcache's read path, which unpickles
data. The store (and sqlite3) is imported on first access to :class:`DiskStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_disk.plugin import DISK_CAPABILITIES, DiskOptions

if TYPE_CHECKING:
    from kv_disk.store import DiskStore

__all__ = ["DISK_CAPABILITIES", "DiskOptions", "DiskStore"]

__getattr__ = lazy_exports(__name__, {"DiskStore": "kv_disk.store"})
