"""kv-firestore: a kv store in Google Cloud Firestore.

Once the distribution is installed, ``kv.connect("firestore://my-project/kv")`` opens
it. The store (and google-cloud-firestore) is imported on first access to
:class:`FirestoreStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_firestore.plugin import FIRESTORE_CAPABILITIES, FirestoreOptions

if TYPE_CHECKING:
    from kv_firestore.store import FirestoreStore

__all__ = ["FIRESTORE_CAPABILITIES", "FirestoreOptions", "FirestoreStore"]

__getattr__ = lazy_exports(__name__, {"FirestoreStore": "kv_firestore.store"})
