"""The plugin module of kv-valkey: what kv imports to learn about the Valkey schemes.

Named by the ``kv.stores`` entry points of this distribution (``valkey``,
``valkeys``, ``valkey+cluster``). It imports only ``kv.capabilities`` and
``kv.plugin``: listing plugins or resolving a scheme never imports the
``valkey`` client or :mod:`kv_valkey.store`.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.plugin import StorePlugin, hookimpl

__all__ = ["VALKEY_CAPABILITIES", "VALKEY_SCHEMES", "kv_store_plugins"]

VALKEY_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=False,
    native_ttl=True,
    persistent=True,
    asyncio_only=True,
)
"""What :class:`kv_valkey.store.ValkeyStore` can do (its class uses this value)."""

VALKEY_SCHEMES = ("valkey", "valkeys", "valkey+cluster")
"""The URL schemes kv-valkey serves."""


@hookimpl
def kv_store_plugins() -> list[StorePlugin]:
    """Declare the Valkey schemes."""
    return [
        StorePlugin(
            schemes=VALKEY_SCHEMES,
            factory="kv_valkey.store:ValkeyStore.from_url",
            capabilities=VALKEY_CAPABILITIES,
            description="Valkey (valkey-py asyncio): TCP, TLS or cluster",
        )
    ]
