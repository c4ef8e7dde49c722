"""kv-resp: the store of kv-redis and kv-valkey, written once, for plugin authors.

kv-redis and kv-valkey are nearly the same store on two client libraries with
one API (redis-py and its fork ``valkey``). Everything they share lives in
this distribution, which has no entry points and imports no client library:

* :mod:`kv_resp.keys`: the key layout (``collection::key``, py-key-value's,
  plus an optional namespace) and glob escaping for ``SCAN MATCH``;
* :mod:`kv_resp.options`: URL forms and :class:`RespOptions` (TLS, timeouts,
  database, credentials), each option declared once with its check;
* :mod:`kv_resp.driver`: :class:`RespDriver`, what a plugin supplies from its
  library (classes, exceptions), client construction and error translation;
* :mod:`kv_resp.store`: :class:`RespStore`, the store itself (imported on
  first access to it);
* :mod:`kv_resp.atomic`: its atomic operations (three one-key Lua scripts,
  commands sent once outside the client's retries);
* :mod:`kv_resp.conformance`: the conformance hooks of a RESP store class.

A plugin is then a declaration (``options=RespOptions``) and a few lines::

    class RedisStore(RespStore):
        capabilities = REDIS_CAPABILITIES
        store_name = "redis"
        driver = REDIS_DRIVER  # redis_py_driver("redis-py", "redis", "Redis")
        schemes = RespSchemes("redis", "rediss", "redis+cluster", unix="redis+unix")
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_resp.driver import RespDriver, RespErrors, build_client, redis_py_driver, translate_error
from kv_resp.keys import RespKeyLayout, escape_glob
from kv_resp.options import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_PORT,
    RespOptions,
    RespSchemes,
    RespTarget,
    parse_target,
)

if TYPE_CHECKING:
    from kv_resp.store import RespStore, ttl_milliseconds

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
    "redis_py_driver",
    "translate_error",
    "ttl_milliseconds",
]

__getattr__ = lazy_exports(
    __name__, {"RespStore": "kv_resp.store", "ttl_milliseconds": "kv_resp.store"}
)
