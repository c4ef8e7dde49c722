"""Stores that ship with kv-core: ``memory://`` and ``null://``."""

from kv.stores.memory import MemoryStore
from kv.stores.null import NullStore

__all__ = ["MemoryStore", "NullStore"]
