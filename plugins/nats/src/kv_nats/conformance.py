"""How kv-conformance damages an entry of a ``nats://`` store.

Found by name (``HOOKS`` in this module); only the suite imports it.
"""

from __future__ import annotations

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_nats.store import NatsStore

__all__ = ["HOOKS", "NatsConformanceHooks"]


class NatsConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_nats.store.NatsStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Publish text that is not JSON to the key's subject, with the store's
        connection (nats-py's JetStream publish, not the store's API), if the key
        holds an entry."""
        store = store_of_type(store, NatsStore)
        await store.setup()
        js = await store._jetstream()
        subject = store._subject(collection, key)
        if await store._last(js, subject) is None:
            return False
        await js.publish(subject, b'{"not": "closed')
        return True


HOOKS = NatsConformanceHooks()
"""The object kv finds by name."""
