"""kv-disk: a kv store in one directory, in diskcache's format, without pickle.

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("disk:///var/cache/app")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it with ``DiskStore("/var/cache/app")``. It reads and writes the
``cache.db`` that py-key-value's ``DiskStore`` (diskcache) keeps, with the
standard library's :mod:`sqlite3` and never with diskcache's read path, which
unpickles data. This module stays light: the store is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_disk.plugin import DISK_CAPABILITIES
    from kv_disk.store import DiskOptions, DiskStore

__all__ = ["DISK_CAPABILITIES", "DiskOptions", "DiskStore"]

_LAZY = {
    "DISK_CAPABILITIES": "kv_disk.plugin",
    "DiskOptions": "kv_disk.store",
    "DiskStore": "kv_disk.store",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_disk' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
