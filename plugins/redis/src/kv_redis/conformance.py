"""kv-conformance hooks of the Redis schemes (see :mod:`kv_resp.conformance`).

Named by the plugin's declaration (all four Redis schemes); only the suite
imports it.
"""

from __future__ import annotations

from kv_redis.store import RedisStore
from kv_resp.conformance import RespConformanceHooks

__all__ = ["HOOKS"]

HOOKS = RespConformanceHooks(RedisStore)
"""The object the plugin's declaration names."""
