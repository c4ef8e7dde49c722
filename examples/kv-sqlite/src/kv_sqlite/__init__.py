"""kv-sqlite: an example third-party kv plugin, a store in one SQLite file.

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("sqlite:///var/lib/app/kv.db")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it directly with ``SQLiteStore(path="kv.db")``. This package module
stays light: :class:`SQLiteStore` and :class:`SQLiteOptions` are imported from
:mod:`kv_sqlite.store` on first access, so ``import kv_sqlite.plugin`` (what kv
does to list plugins) never imports :mod:`sqlite3`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_sqlite.plugin import SQLITE_CAPABILITIES
    from kv_sqlite.store import SQLiteOptions, SQLiteStore

__all__ = ["SQLITE_CAPABILITIES", "SQLiteOptions", "SQLiteStore"]

_LAZY = {
    "SQLITE_CAPABILITIES": "kv_sqlite.plugin",
    "SQLiteOptions": "kv_sqlite.store",
    "SQLiteStore": "kv_sqlite.store",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_sqlite' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
