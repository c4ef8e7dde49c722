"""kv-conformance hooks of the Redis schemes (see :mod:`kv.resp.conformance`).

Registered in the ``kv.conformance`` entry-point group under ``redis``,
``rediss``, ``redis+unix`` and ``redis+cluster``. Test support only: a store
never imports this module.
"""

from __future__ import annotations

from kv.resp.conformance import RespConformanceHooks
from kv_redis.store import RedisStore

__all__ = ["HOOKS"]

HOOKS = RespConformanceHooks(RedisStore)
"""The object the ``kv.conformance`` entry points of the Redis schemes name."""
