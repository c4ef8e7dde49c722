"""kv-conformance hooks of the Valkey schemes (see :mod:`kv_resp.conformance`).

Named by the plugin's declaration (all three Valkey schemes); only the suite
imports it.
"""

from __future__ import annotations

from kv_resp.conformance import RespConformanceHooks
from kv_valkey.store import ValkeyStore

__all__ = ["HOOKS"]

HOOKS = RespConformanceHooks(ValkeyStore)
"""The object the plugin's declaration names."""
