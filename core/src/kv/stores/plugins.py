"""The declarations of the built-in stores, named by kv-core's own entry points
(``memory`` and ``null``), exactly as a plugin distribution declares its stores."""

from __future__ import annotations

from kv.options import CommonOptions
from kv.plugin import StorePlugin
from kv.stores.memory import MEMORY_CAPABILITIES, MemoryOptions
from kv.stores.null import NULL_CAPABILITIES

__all__ = ["MEMORY", "NULL"]

MEMORY = StorePlugin(
    store="kv.stores.memory:MemoryStore",
    options=MemoryOptions,
    capabilities=MEMORY_CAPABILITIES,
    description="In-process memory, optionally LRU-bounded per collection",
)

NULL = StorePlugin(
    store="kv.stores.null:NullStore",
    options=CommonOptions,
    capabilities=NULL_CAPABILITIES,
    description="Keeps nothing: every read misses",
)
