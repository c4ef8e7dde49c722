"""kv-firestore: a kv store in Google Cloud Firestore.

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("firestore://my-project/kv")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

The store (and google-cloud-firestore) is imported on first access to
:class:`FirestoreStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_firestore.plugin import FIRESTORE_CAPABILITIES, FirestoreOptions

if TYPE_CHECKING:
    from kv_firestore.store import FirestoreStore

__all__ = ["FIRESTORE_CAPABILITIES", "FirestoreOptions", "FirestoreStore"]

__getattr__ = lazy_exports(__name__, {"FirestoreStore": "kv_firestore.store"})
