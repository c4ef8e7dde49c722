"""How kv-conformance damages an entry of a RESP store (Redis, Valkey).

kv-redis and kv-valkey each name a :class:`RespConformanceHooks` for their own
store class in their plugin's declaration (see :mod:`kv_conformance.hooks`);
only the suite imports this module, and it does not import kv-conformance.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from kv.protocols import AsyncKeyValue
from kv_resp.store import RespStore

__all__ = ["RespConformanceHooks"]

S = TypeVar("S", bound=RespStore)


class RespConformanceHooks(Generic[S]):
    """The kv-conformance hooks of one RESP store class.

    Args:
        store_class: The plugin's store class (``RedisStore``, ``ValkeyStore``).
    """

    def __init__(self, store_class: type[S]) -> None:
        self.store_class = store_class

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's document with text that is not JSON, with a plain SET.

        The command goes through the store's client (standalone or cluster),
        outside the store's API.
        """
        if not isinstance(store, self.store_class):
            wanted = self.store_class.__name__
            raise TypeError(f"these conformance hooks need a {wanted}, not {type(store)}")
        await store.setup()
        name = store.layout.key(collection, key)
        if not await store.client.exists(name):
            return False
        await store.client.set(name, b'{"not": "closed')
        return True
