"""How kv-conformance damages an entry of a ``mongodb://`` store.

Found by name (``HOOKS``) by :mod:`kv_conformance.hooks`; only the suite imports it.
"""

from __future__ import annotations

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_mongodb.client import make_client
from kv_mongodb.names import collection_name
from kv_mongodb.store import MongoDBStore

__all__ = ["HOOKS", "MongoDBConformanceHooks"]


class MongoDBConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_mongodb.store.MongoDBStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Set the document's ``value`` to a string (not ``{"object": ...}``), with a
        client of its own (not the store's API)."""
        store = store_of_type(store, MongoDBStore)
        client = make_client(store.options)
        try:
            target = client[store.database][collection_name(collection)]
            result = await target.update_one({"key": key}, {"$set": {"value": '{"not": "closed'}})
            return result.matched_count > 0
        finally:
            await client.close()


HOOKS = MongoDBConformanceHooks()
"""The object kv-conformance finds by name."""
