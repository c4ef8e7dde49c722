"""The plugin module of kv-memcached: what kv imports to learn about ``memcached://``.

It is named by the ``kv.stores`` entry point of this distribution and imports
only ``kv.capabilities`` and ``kv.plugin``: listing plugins or resolving the
scheme never imports :mod:`kv_memcached.store` or its protocol module.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["DEFAULT_MAX_ITEM_SIZE", "ITEM_RESERVE", "MEMCACHED_CAPABILITIES", "PLUGIN"]

DEFAULT_MAX_ITEM_SIZE = 1024 * 1024
"""Memcached's default item size limit (``-I 1m``), in bytes."""

ITEM_RESERVE = 1024
"""Bytes of an item kept for the stored document's fields, the key and the
server's item header: the largest value is the item size limit minus this."""

MEMCACHED_CAPABILITIES = Capabilities(
    native_ttl=True,
    max_value_size=DEFAULT_MAX_ITEM_SIZE - ITEM_RESERVE,
)
"""What :class:`kv_memcached.store.MemcachedStore` can do.

Memcached cannot list its keys, so there is no enumeration; ``destroy`` would
need ``flush_all``, which wipes every key of the server, including other
applications' keys, so it is not offered either. Expiry is native. The store
speaks the protocol itself and runs under asyncio and trio. A store
built with a larger ``max_item_size`` (a server run with ``-I``) raises
``max_value_size`` accordingly.
"""


PLUGIN = StorePlugin(
    store="kv_memcached.store:MemcachedStore",
    options=CommonOptions,
    capabilities=MEMCACHED_CAPABILITIES,
    description="Memcached over TCP, keys spread over several servers",
    conformance="kv_memcached.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
