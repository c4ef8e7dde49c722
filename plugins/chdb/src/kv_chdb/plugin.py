"""The plugin module of kv-chdb: what kv imports to learn about ``chdb://``.

It imports only ``kv.capabilities`` and ``kv.plugin``; chDB (a large native
library) and :mod:`kv_chdb.store` are imported when a ``chdb://`` URL is opened.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["CHDB_CAPABILITIES", "PLUGIN"]

CHDB_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=True,
    native_ttl=False,
    persistent=True,
)
"""What :class:`kv_chdb.store.ChDBStore` can do (its class uses this value)."""


PLUGIN = StorePlugin(
    store="kv_chdb.store:ChDBStore",
    options=CommonOptions,
    capabilities=CHDB_CAPABILITIES,
    description="A table of embedded ClickHouse (chDB) in a directory, one per process",
    conformance="kv_chdb.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
