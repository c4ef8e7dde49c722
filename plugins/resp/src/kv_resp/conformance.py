"""kv-conformance hooks shared by the RESP stores: damage an entry, reopen a store.

kv-redis and kv-valkey each name a :class:`RespConformanceHooks` for their own
store class in their plugin's declaration, so the conformance suite runs its
damaged-data and persistence tests on them, in the plugins' own tests and
under ``pytest --kv-url`` or ``kv check`` (see :mod:`kv_conformance.hooks`).
Test support only: a store never imports this module, and neither does this
module import kv-conformance.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from kv.protocols import AsyncKeyValue
from kv_resp.store import RespStore

__all__ = ["RespConformanceHooks"]

S = TypeVar("S", bound=RespStore)


class RespConformanceHooks(Generic[S]):
    """The conformance hooks of one RESP store class.

    Implements :class:`kv_conformance.hooks.ConformanceHooks` structurally.

    Args:
        store_class: The plugin's store class (``RedisStore``, ``ValkeyStore``).
    """

    def __init__(self, store_class: type[S]) -> None:
        self.store_class = store_class

    def _own(self, store: AsyncKeyValue) -> S:
        if not isinstance(store, self.store_class):
            name = self.store_class.__name__
            raise TypeError(f"these conformance hooks need a {name}, not {type(store)}")
        return store

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's document with text that is not JSON, with a plain SET.

        The command goes through the store's client (standalone or cluster),
        outside the store's API.
        """
        resp = self._own(store)
        await resp.setup()
        name = resp.layout.key(collection, key)
        if not await resp.client.exists(name):
            return False
        await resp.client.set(name, b'{"not": "closed')
        return True

    async def reopen_store(self, store: AsyncKeyValue) -> AsyncKeyValue | None:
        """A new store object on the same server, database and namespace, with the same options.

        A store built on a user's client gets the same client (which neither
        store closes).
        """
        return self.store_class(self._own(store).options)
