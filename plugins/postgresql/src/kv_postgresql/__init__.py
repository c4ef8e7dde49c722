"""kv-postgresql: a kv store in one PostgreSQL table.

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("postgresql://app:secret@db.example.com/appdb?table=kv_store")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it directly with ``PostgreSQLStore("postgresql://...", table="kv_store")``.
This package module stays light: the store is imported on first access, so
``import kv_postgresql.plugin`` (what kv does to list plugins) never imports
asyncpg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_postgresql.plugin import POSTGRESQL_CAPABILITIES
    from kv_postgresql.store import PostgreSQLOptions, PostgreSQLStore

__all__ = ["POSTGRESQL_CAPABILITIES", "PostgreSQLOptions", "PostgreSQLStore"]

_LAZY = {
    "POSTGRESQL_CAPABILITIES": "kv_postgresql.plugin",
    "PostgreSQLOptions": "kv_postgresql.store",
    "PostgreSQLStore": "kv_postgresql.store",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_postgresql' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
