"""kv-redis: kv stores on Redis (standalone, TLS, Unix socket, cluster).

Once the distribution is installed, ``kv.connect("redis://localhost:6379/0")`` opens it;
or build it with ``RedisStore(url, **options)``. The store (and redis-py) is imported on
first access to :class:`RedisStore` or :data:`REDIS_DRIVER`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_redis.plugin import REDIS_CAPABILITIES, RedisOptions

if TYPE_CHECKING:
    from kv_redis.store import REDIS_DRIVER, RedisStore

__all__ = ["REDIS_CAPABILITIES", "REDIS_DRIVER", "RedisOptions", "RedisStore"]

__getattr__ = lazy_exports(
    __name__, {"REDIS_DRIVER": "kv_redis.store", "RedisStore": "kv_redis.store"}
)
