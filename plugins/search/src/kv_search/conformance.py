"""kv-conformance hooks of the search-engine stores (kv-elasticsearch, kv-opensearch).

Each plugin names one :class:`SearchConformanceHooks` of its store class as
``HOOKS`` in its own ``conformance`` module; only the suite imports it.
"""

from __future__ import annotations

import json
from typing import Generic, TypeVar

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_search.store import SearchStore

__all__ = ["SearchConformanceHooks"]

S = TypeVar("S", bound=SearchStore)


class SearchConformanceHooks(Generic[S]):
    """The hooks of one search-engine store class."""

    def __init__(self, store_type: type[S]) -> None:
        self.store_type = store_type

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's document with one whose value is text that is not JSON,
        with a raw request (not through the store's API)."""
        found = store_of_type(store, self.store_type)
        path = found._path(collection, key)
        status, _ = await found._send("GET", path)
        if status != 200:
            return False
        document = {
            "collection": collection,
            "key": key,
            "value": {found.engine.value_field: '{"not": "closed'},
            "version": 1,
        }
        status, _ = await found._send("PUT", path, json.dumps(document), {"refresh": "true"})
        return status < 300
