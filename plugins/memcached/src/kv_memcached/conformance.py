"""kv-conformance hooks of ``memcached://``: damage an entry, reopen a store.

Named by the plugin's declaration, so the conformance suite runs its
damaged-data test on memcached stores, in the plugin's own tests and under
``pytest --kv-url memcached://...`` or ``kv check`` (see
:mod:`kv_conformance.hooks`). Memcached keeps nothing across restarts, so the
store is not ``persistent`` and the suite skips its persistence test. Test
support only: a store never imports this module.
"""

from __future__ import annotations

from kv.protocols import AsyncKeyValue
from kv_memcached.keys import memcached_key
from kv_memcached.store import MemcachedStore

__all__ = ["HOOKS", "MemcachedConformanceHooks"]


def _memcached_store(store: AsyncKeyValue) -> MemcachedStore:
    if not isinstance(store, MemcachedStore):
        raise TypeError(
            f"the memcached:// conformance hooks need a MemcachedStore, not {type(store)}"
        )
    return store


class MemcachedConformanceHooks:
    """The conformance hooks of :class:`~kv_memcached.store.MemcachedStore`.

    Implements :class:`kv_conformance.hooks.ConformanceHooks` (structurally:
    kv-conformance is not imported).
    """

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

        It sees what the first one wrote while the servers keep running (the
        store is not ``persistent``: nothing survives a server's restart).
        """
        return MemcachedStore(_memcached_store(store).options)


HOOKS = MemcachedConformanceHooks()
"""The object the plugin's declaration names."""
