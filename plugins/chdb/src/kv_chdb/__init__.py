"""kv-chdb: a kv store in a table of embedded ClickHouse (chDB).

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("chdb:///var/lib/app/kv")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it directly with ``ChDBStore(path="kv")``. This module stays
light: the store is imported from :mod:`kv_chdb.store` on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_chdb.plugin import CHDB_CAPABILITIES
    from kv_chdb.store import ChDBOptions, ChDBStore

__all__ = ["CHDB_CAPABILITIES", "ChDBOptions", "ChDBStore"]

_LAZY = {
    "CHDB_CAPABILITIES": "kv_chdb.plugin",
    "ChDBOptions": "kv_chdb.store",
    "ChDBStore": "kv_chdb.store",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_chdb' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
