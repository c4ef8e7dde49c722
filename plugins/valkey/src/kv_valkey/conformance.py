"""kv-conformance hooks of the Valkey schemes (see :mod:`kv.resp.conformance`).

Registered in the ``kv.conformance`` entry-point group under ``valkey``,
``valkeys`` and ``valkey+cluster``. Test support only: a store never imports
this module.
"""

from __future__ import annotations

from kv.resp.conformance import RespConformanceHooks
from kv_valkey.store import ValkeyStore

__all__ = ["HOOKS"]

HOOKS = RespConformanceHooks(ValkeyStore)
"""The object the ``kv.conformance`` entry points of the Valkey schemes name."""
