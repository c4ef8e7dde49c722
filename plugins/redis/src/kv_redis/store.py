"""``redis://``, ``rediss://``, ``redis+unix://``, ``redis+cluster://``: kv on Redis.

The store is :class:`kv_resp.RespStore` (kv-resp, shared with kv-valkey) driven by
redis-py's asyncio clients: :class:`redis.asyncio.Redis` for a standalone
server (TCP, TLS or Unix socket) and :class:`redis.asyncio.RedisCluster` for
a cluster. See ``docs/plugins/redis.md`` for the URL forms, options and the
storage layout (py-key-value's ``collection::key`` string keys).
"""

from __future__ import annotations

from redis import exceptions
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from kv_redis.plugin import REDIS_CAPABILITIES, REDIS_URL_SCHEMES, RedisOptions
from kv_resp.driver import RespDriver, RespErrors
from kv_resp.store import RespStore

__all__ = ["REDIS_DRIVER", "RedisOptions", "RedisStore"]


def _retry(retries: int) -> Retry:
    # Broken connections only: a command that timed out is not sent again, so a
    # caller waits socket_timeout at most, not (retries + 1) times it.
    return Retry(
        ExponentialBackoff(cap=0.5, base=0.02),
        retries,
        supported_errors=(exceptions.ConnectionError,),
    )


REDIS_DRIVER = RespDriver(
    library="redis-py",
    client=Redis,
    cluster_client=RedisCluster,
    cluster_node=ClusterNode,
    retry=_retry,
    errors=RespErrors(
        base=(exceptions.RedisError, exceptions.RedisClusterException),
        connection=(exceptions.ConnectionError,),
        timeout=(exceptions.TimeoutError,),
        authentication=(exceptions.AuthenticationError, exceptions.AuthorizationError),
        cluster=(exceptions.ClusterError, exceptions.RedisClusterException),
        read_only=(exceptions.ReadOnlyError,),
        out_of_memory=(exceptions.OutOfMemoryError,),
        no_permission=(exceptions.NoPermissionError,),
        response=(exceptions.ResponseError,),
    ),
)
"""redis-py, as :class:`kv_resp.RespStore` uses it."""


class RedisStore(RespStore):
    """A kv store on Redis: standalone (TCP, TLS, Unix socket) or a cluster.

    Build it from a URL (``kv.connect("redis://localhost:6379/0")``) or
    directly: ``RedisStore("rediss://cache:6380/0", ssl_ca_certs="ca.pem",
    namespace="app")``, or ``RedisStore(client=redis.asyncio.Redis(...))``
    to use a client you configured (it is never closed by the store).
    Options: :class:`kv_resp.RespOptions` (alias :data:`kv_redis.RedisOptions`).
    """

    capabilities = REDIS_CAPABILITIES
    store_name = "redis"
    driver = REDIS_DRIVER
    schemes = REDIS_URL_SCHEMES
