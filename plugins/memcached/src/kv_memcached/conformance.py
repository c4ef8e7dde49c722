"""How kv-conformance damages an entry of a ``memcached://`` store.

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it. Memcached keeps nothing across restarts, so the store is
not ``persistent`` and the suite skips its persistence test.
"""

from __future__ import annotations

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_memcached.keys import memcached_key
from kv_memcached.store import MemcachedStore

__all__ = ["HOOKS", "MemcachedConformanceHooks"]


def _memcached_store(store: AsyncKeyValue) -> MemcachedStore:
    return store_of_type(store, MemcachedStore)


class MemcachedConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_memcached.store.MemcachedStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the item with bytes that are not JSON (a plain ``set``, no expiry).

        The item is written on the server the store's hashing picks for it.
        """
        memcached = _memcached_store(store)
        await memcached.setup()
        mkey = memcached_key(collection, key)
        server = (await memcached._servers()).pick(mkey)
        if not await server.get_many((mkey,)):
            return False
        replies = await server.set_many(((mkey, b'\xff{"not": "closed', 0),))
        return replies == [b"STORED"]

    async def reopen_store(self, store: AsyncKeyValue) -> AsyncKeyValue | None:
        """A new store object on the same servers with the same options.

        Kept for the plugin's own test of reopening: the suite never calls
        it (the store is not ``persistent``), and would reopen the same way
        without it.
        """
        return MemcachedStore(_memcached_store(store).options)


HOOKS = MemcachedConformanceHooks()
"""The object the plugin's declaration names."""
