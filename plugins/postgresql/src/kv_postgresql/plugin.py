"""The plugin module of kv-postgresql: what kv imports to learn about ``postgresql://``.

It is named by the ``kv.stores`` entry points of this distribution (one per
scheme) and imports only ``kv.capabilities`` and ``kv.plugin``: listing
plugins or resolving the scheme never imports asyncpg or
:mod:`kv_postgresql.store`.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["POSTGRESQL_CAPABILITIES", "PLUGIN"]

POSTGRESQL_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=True,
    native_ttl=False,
    persistent=True,
    asyncio_only=True,  # asyncpg is an asyncio library
)
"""What :class:`kv_postgresql.store.PostgreSQLStore` can do (its class uses this value)."""


PLUGIN = StorePlugin(
    store="kv_postgresql.store:PostgreSQLStore",
    options=CommonOptions,
    capabilities=POSTGRESQL_CAPABILITIES,
    description="One PostgreSQL table (asyncpg), py-key-value's layout",
    conformance="kv_postgresql.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
