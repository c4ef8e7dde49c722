"""How kv-conformance damages an entry of an ``etcd://`` store.

Found by name (``HOOKS`` in this module); only the suite imports it.
"""

from __future__ import annotations

from typing import Any

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_etcd.store import EtcdStore

__all__ = ["HOOKS", "EtcdConformanceHooks"]


class EtcdConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_etcd.store.EtcdStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the key's value with text that is not JSON, in one transaction
        that writes only if the key exists (aetcd's client, not the store's API)."""
        store = store_of_type(store, EtcdStore)
        await store.setup()
        etcd_key = store._layout.key(collection, key)

        async def damage(client: Any) -> bool:
            tx = client.transactions
            succeeded, _ = await client.transaction(
                compare=[tx.version(etcd_key) > 0],
                success=[tx.put(etcd_key, b'{"not": "closed')],
                failure=[],
            )
            return bool(succeeded)

        return await store._call(damage)


HOOKS = EtcdConformanceHooks()
"""The object kv-conformance finds by name."""
