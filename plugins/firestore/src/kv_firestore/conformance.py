"""How kv-conformance damages an entry of a ``firestore://`` store.

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it. The document is rewritten with a client of its own, outside
the store's API.
"""

from __future__ import annotations

from google.api_core import exceptions as google_errors
from google.cloud import firestore

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_firestore.names import encode_id
from kv_firestore.store import ENTRIES, FirestoreStore, close_client

__all__ = ["HOOKS", "FirestoreConformanceHooks"]


class FirestoreConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_firestore.store.FirestoreStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Set the document's ``value`` to text that is not JSON (with a new client)."""
        store = store_of_type(store, FirestoreStore)
        options = store.options
        client = firestore.AsyncClient(
            project=options.project, credentials=options.credentials, database=options.database
        )
        if options.root is None:
            ref = client.collection(encode_id(collection)).document(encode_id(key))
        else:
            path = (options.root, encode_id(collection), ENTRIES, encode_id(key))
            ref = client.document(*path)
        try:
            await ref.update({"value": '{"not": "closed'})
        except google_errors.NotFound:
            return False
        finally:
            await close_client(client)
        return True


HOOKS = FirestoreConformanceHooks()
"""The object the plugin's declaration names."""
