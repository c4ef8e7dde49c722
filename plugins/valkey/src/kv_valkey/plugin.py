"""The plugin module of kv-valkey: what kv imports to learn about the Valkey schemes.

Named by the ``kv.stores`` entry points of this distribution (``valkey``,
``valkeys``, ``valkey+cluster``). It imports only ``kv.capabilities`` and
``kv.plugin``: listing plugins or resolving a scheme never imports the
``valkey`` client or :mod:`kv_valkey.store`.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["VALKEY_CAPABILITIES", "VALKEY_SCHEMES", "PLUGIN"]

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


PLUGIN = StorePlugin(
    store="kv_valkey.store:ValkeyStore",
    options=CommonOptions,
    capabilities=VALKEY_CAPABILITIES,
    description="Valkey (valkey-py asyncio): TCP, TLS or cluster",
    conformance="kv_valkey.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
