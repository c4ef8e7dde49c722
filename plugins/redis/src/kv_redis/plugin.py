"""The plugin module of kv-redis: what kv imports to learn about the Redis schemes.

Named by the ``kv.stores`` entry points of this distribution (``redis``,
``rediss``, ``redis+unix``, ``redis+cluster``). It imports only
``kv.capabilities`` and ``kv.plugin``: listing plugins or resolving a scheme
never imports redis-py or :mod:`kv_redis.store`.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["REDIS_CAPABILITIES", "REDIS_SCHEMES", "PLUGIN"]

REDIS_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=False,
    native_ttl=True,
    persistent=True,
    asyncio_only=True,
)
"""What :class:`kv_redis.store.RedisStore` can do (its class uses this value)."""

REDIS_SCHEMES = ("redis", "rediss", "redis+unix", "redis+cluster")
"""The URL schemes kv-redis serves."""


PLUGIN = StorePlugin(
    store="kv_redis.store:RedisStore",
    options=CommonOptions,
    capabilities=REDIS_CAPABILITIES,
    description="Redis (redis-py asyncio): TCP, TLS, Unix socket or cluster",
    conformance="kv_redis.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
