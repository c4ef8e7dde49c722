"""kv-memcached: a kv store on one or more Memcached servers.

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("memcached://127.0.0.1:11211")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it directly with ``MemcachedStore(servers=["127.0.0.1:11211"])``.
This package module stays light: the store is imported on first access, so
``import kv_memcached.plugin`` (what kv does to list plugins) never imports
the store or its protocol module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_memcached.keys import memcached_key
    from kv_memcached.plugin import MEMCACHED_CAPABILITIES
    from kv_memcached.store import MemcachedOptions, MemcachedStore

__all__ = ["MEMCACHED_CAPABILITIES", "MemcachedOptions", "MemcachedStore", "memcached_key"]

_LAZY = {
    "MEMCACHED_CAPABILITIES": "kv_memcached.plugin",
    "MemcachedOptions": "kv_memcached.store",
    "MemcachedStore": "kv_memcached.store",
    "memcached_key": "kv_memcached.keys",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_memcached' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
