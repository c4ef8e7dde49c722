"""The declaration of the Redis schemes: capabilities, options and store class in one place.

Named by the ``kv.stores`` entry points of this distribution (``redis``,
``rediss``, ``redis+unix``, ``redis+cluster``). It imports only kv and
kv-resp's options: listing plugins or resolving a scheme never imports
redis-py or :mod:`kv_redis.store`.
"""

from __future__ import annotations

from kv_resp.options import RESP_CAPABILITIES, RespOptions, RespSchemes, resp_plugin

__all__ = ["PLUGIN", "REDIS_CAPABILITIES", "REDIS_SCHEMES", "REDIS_URL_SCHEMES", "RedisOptions"]

REDIS_CAPABILITIES = RESP_CAPABILITIES
"""What :class:`kv_redis.store.RedisStore` can do (its class uses this value)."""

REDIS_URL_SCHEMES = RespSchemes(
    plain="redis", tls="rediss", cluster="redis+cluster", unix="redis+unix"
)
"""What each scheme of kv-redis means (TCP, TLS, cluster, Unix socket)."""

REDIS_SCHEMES = REDIS_URL_SCHEMES.all()
"""The URL schemes kv-redis serves."""

RedisOptions = RespOptions
"""The options of the Redis schemes: kv-resp's, shared with kv-valkey."""

PLUGIN = resp_plugin(
    "kv_redis.store:RedisStore", "Redis (redis-py asyncio): TCP, TLS, Unix socket or cluster"
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
