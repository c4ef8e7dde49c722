"""kv-redis: kv stores on Redis (standalone, TLS, Unix socket, cluster).

Open one by URL once the distribution is installed::

    import kv

    store = kv.connect("redis://localhost:6379/0")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it with ``RedisStore(url, **options)``. This module stays light:
:class:`RedisStore` is imported from :mod:`kv_redis.store` (and with it
redis-py) on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_redis.plugin import REDIS_CAPABILITIES
    from kv_redis.store import REDIS_DRIVER, RedisOptions, RedisStore

__all__ = ["REDIS_CAPABILITIES", "REDIS_DRIVER", "RedisOptions", "RedisStore"]

_LAZY = {
    "REDIS_CAPABILITIES": "kv_redis.plugin",
    "REDIS_DRIVER": "kv_redis.store",
    "RedisOptions": "kv_redis.store",
    "RedisStore": "kv_redis.store",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_redis' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
