"""The plugin module of kv-duckdb: what kv imports to learn about ``duckdb://``.

It imports only ``kv.capabilities`` and ``kv.plugin``; duckdb and
:mod:`kv_duckdb.store` are imported when a ``duckdb://`` URL is opened.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["DUCKDB_CAPABILITIES", "PLUGIN"]

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


PLUGIN = StorePlugin(
    store="kv_duckdb.store:DuckDBStore",
    options=CommonOptions,
    capabilities=DUCKDB_CAPABILITIES,
    description="One DuckDB table, queryable with SQL (a file or :memory:)",
    conformance="kv_duckdb.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
