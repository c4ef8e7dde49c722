"""The plugin module of the built-in stores, registered like any other plugin."""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.plugin import StorePlugin, hookimpl

__all__ = ["MEMORY_CAPABILITIES", "NULL_CAPABILITIES", "kv_store_plugins"]

MEMORY_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=True,
    native_ttl=True,
)
NULL_CAPABILITIES = Capabilities()


@hookimpl
def kv_store_plugins() -> list[StorePlugin]:
    """Declare ``memory://`` and ``null://``."""
    return [
        StorePlugin(
            schemes=("memory",),
            factory="kv.stores.factories:memory_from_url",
            capabilities=MEMORY_CAPABILITIES,
            description="In-process memory, optionally LRU-bounded per collection",
        ),
        StorePlugin(
            schemes=("null",),
            factory="kv.stores.factories:null_from_url",
            capabilities=NULL_CAPABILITIES,
            description="Keeps nothing: every read misses",
        ),
    ]
