"""kv-memcached: a kv store on one or more Memcached servers.

Once the distribution is installed, ``kv.connect("memcached://127.0.0.1:11211")`` opens
it; or build it directly with ``MemcachedStore(["cache1:11211", "cache2"], timeout=2)``.
The store (and its protocol module) is imported on first access to
:class:`MemcachedStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_memcached.plugin import MEMCACHED_CAPABILITIES, MemcachedOptions

if TYPE_CHECKING:
    from kv_memcached.keys import memcached_key
    from kv_memcached.store import MemcachedStore

__all__ = ["MEMCACHED_CAPABILITIES", "MemcachedOptions", "MemcachedStore", "memcached_key"]

__getattr__ = lazy_exports(
    __name__, {"MemcachedStore": "kv_memcached.store", "memcached_key": "kv_memcached.keys"}
)
