"""The plugin module of kv-postgresql: what kv imports to learn about ``postgresql://``.

It is named by the ``kv.stores`` entry points of this distribution (one per
scheme) and imports only ``kv.capabilities`` and ``kv.plugin``: listing
plugins or resolving the scheme never imports asyncpg or
:mod:`kv_postgresql.store`.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.plugin import StorePlugin, hookimpl

__all__ = ["POSTGRESQL_CAPABILITIES", "kv_store_plugins"]

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


@hookimpl
def kv_store_plugins() -> list[StorePlugin]:
    """Declare the ``postgresql://`` and ``postgres://`` schemes."""
    return [
        StorePlugin(
            schemes=("postgresql", "postgres"),
            factory="kv_postgresql.store:PostgreSQLStore.from_url",
            capabilities=POSTGRESQL_CAPABILITIES,
            description="One PostgreSQL table (asyncpg), py-key-value's layout",
        )
    ]
