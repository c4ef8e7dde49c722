"""The plugin module of kv-duckdb: what kv imports to learn about ``duckdb://``.

It imports only ``kv.capabilities`` and ``kv.plugin``; duckdb and
:mod:`kv_duckdb.store` are imported when a ``duckdb://`` URL is opened.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.plugin import StorePlugin, hookimpl

__all__ = ["DUCKDB_CAPABILITIES", "kv_store_plugins"]

DUCKDB_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=True,
    native_ttl=False,
    persistent=True,
)
"""What :class:`kv_duckdb.store.DuckDBStore` can do (its class uses this value;
a ``:memory:`` store is not ``persistent``)."""


@hookimpl
def kv_store_plugins() -> list[StorePlugin]:
    """Declare the ``duckdb://`` scheme."""
    return [
        StorePlugin(
            schemes=("duckdb",),
            factory="kv_duckdb.store:DuckDBStore.from_url",
            capabilities=DUCKDB_CAPABILITIES,
            description="One DuckDB table, queryable with SQL (a file or :memory:)",
        )
    ]
