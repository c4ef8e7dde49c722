"""The plugin module of kv-sqlite: what kv imports to learn about ``sqlite://``.

It is named by the ``kv.stores`` entry point of this distribution
(``sqlite = "kv_sqlite.plugin"``) and imports only ``kv.capabilities`` and
``kv.plugin``: listing plugins or resolving the scheme never imports
:mod:`sqlite3` or :mod:`kv_sqlite.store`. The store module is imported only
when a ``sqlite://`` URL is opened, through the ``factory`` string.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["PLUGIN", "SQLITE_CAPABILITIES"]

SQLITE_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=True,
    native_ttl=False,
    persistent=True,
)
"""What :class:`kv_sqlite.store.SQLiteStore` can do (its class uses this value)."""


PLUGIN = StorePlugin(
    store="kv_sqlite.store:SQLiteStore",
    options=CommonOptions,
    capabilities=SQLITE_CAPABILITIES,
    description="One SQLite database file (standard library sqlite3), or :memory:",
    conformance="kv_sqlite.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
