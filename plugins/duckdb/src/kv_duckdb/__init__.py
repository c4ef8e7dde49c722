"""kv-duckdb: a kv store in one DuckDB table, queryable with SQL.

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("duckdb:///var/lib/app/kv.duckdb")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it directly with ``DuckDBStore(path="kv.duckdb")``. This module stays
light: the store is imported from :mod:`kv_duckdb.store` on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_duckdb.plugin import DUCKDB_CAPABILITIES
    from kv_duckdb.store import DuckDBOptions, DuckDBStore

__all__ = ["DUCKDB_CAPABILITIES", "DuckDBOptions", "DuckDBStore"]

_LAZY = {
    "DUCKDB_CAPABILITIES": "kv_duckdb.plugin",
    "DuckDBOptions": "kv_duckdb.store",
    "DuckDBStore": "kv_duckdb.store",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_duckdb' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
