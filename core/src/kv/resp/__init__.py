"""Shared logic of the stores for RESP servers (Redis, Valkey), for plugin authors.

kv-redis and kv-valkey are nearly the same store on two client libraries with
one API (redis-py and its fork ``valkey``). Everything they share lives here,
once, and imports no client library:

* :mod:`kv.resp.keys`: the key layout (``collection::key``, py-key-value's,
  plus an optional namespace) and glob escaping for ``SCAN MATCH``;
* :mod:`kv.resp.options`: URL forms, :class:`RespOptions` (TLS, timeouts,
  database, credentials) and their validation;
* :mod:`kv.resp.driver`: :class:`RespDriver`, what a plugin supplies from its
  library (classes, exceptions), client construction and error translation;
* :mod:`kv.resp.store`: :class:`RespStore`, the store itself.

A plugin is then a few lines::

    class RedisStore(RespStore):
        capabilities = REDIS_CAPABILITIES
        store_name = "redis"
        driver = REDIS_DRIVER
        schemes = RespSchemes("redis", "rediss", "redis+cluster", unix="redis+unix")
"""

from __future__ import annotations

from kv.resp.driver import RespDriver, RespErrors, build_client, translate_error
from kv.resp.keys import RespKeyLayout, escape_glob
from kv.resp.options import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_PORT,
    RespOptions,
    RespSchemes,
    RespTarget,
    parse_target,
    validate_options,
)
from kv.resp.store import RespStore, ttl_milliseconds

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_PORT",
    "RespDriver",
    "RespErrors",
    "RespKeyLayout",
    "RespOptions",
    "RespSchemes",
    "RespStore",
    "RespTarget",
    "build_client",
    "escape_glob",
    "parse_target",
    "translate_error",
    "ttl_milliseconds",
    "validate_options",
]
