"""kv-mongodb: a kv store in a MongoDB database.

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("mongodb://user:password@db1,db2/appdata?replicaSet=rs0")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it directly with ``MongoDBStore("mongodb://localhost", database="appdata")``.
The store (and pymongo) is imported on first access to :class:`MongoDBStore`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_mongodb.plugin import MONGODB_CAPABILITIES, MongoDBOptions

if TYPE_CHECKING:
    from kv_mongodb.store import MongoDBStore

__all__ = ["MONGODB_CAPABILITIES", "MongoDBOptions", "MongoDBStore"]

__getattr__ = lazy_exports(__name__, {"MongoDBStore": "kv_mongodb.store"})
