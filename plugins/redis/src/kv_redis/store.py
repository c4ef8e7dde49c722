"""``redis://``, ``rediss://``, ``redis+unix://``, ``redis+cluster://``: kv on Redis.

The store is :class:`kv_resp.RespStore` (kv-resp, shared with kv-valkey) driven by
redis-py's asyncio clients: :class:`redis.asyncio.Redis` for a standalone
server (TCP, TLS or Unix socket) and :class:`redis.asyncio.RedisCluster` for
a cluster. See ``docs/plugins/redis.md`` for the URL forms, options and the
storage layout (py-key-value's ``collection::key`` string keys).
"""

from __future__ import annotations

from kv_redis.plugin import PLUGIN, REDIS_URL_SCHEMES, RedisOptions
from kv_resp.driver import redis_py_driver
from kv_resp.store import RespStore

__all__ = ["REDIS_DRIVER", "RedisOptions", "RedisStore"]


REDIS_DRIVER = redis_py_driver("redis-py", "redis", "Redis")
"""redis-py, as :class:`kv_resp.RespStore` uses it."""


class RedisStore(RespStore, plugin=PLUGIN):
    """A kv store on Redis: standalone (TCP, TLS, Unix socket) or a cluster.

    Build it from a URL (``kv.connect("redis://localhost:6379/0")``) or
    directly: ``RedisStore("rediss://cache:6380/0", ssl_ca_certs="ca.pem",
    namespace="app")``, or ``RedisStore(client=redis.asyncio.Redis(...))``
    to use a client you configured (it is never closed by the store).
    Options: :class:`kv_resp.RespOptions` (alias :data:`kv_redis.RedisOptions`).
    """

    driver = REDIS_DRIVER
    schemes = REDIS_URL_SCHEMES
