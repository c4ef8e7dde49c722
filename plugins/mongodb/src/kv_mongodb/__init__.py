"""kv-mongodb: a kv store in a MongoDB database.

Once the distribution is installed,
``kv.connect("mongodb://user:password@db1,db2/appdata?replicaSet=rs0")`` opens it; or
build it directly with ``MongoDBStore("mongodb://localhost", database="appdata")``. The
store (and pymongo) is imported on first access to :class:`MongoDBStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_mongodb.plugin import MONGODB_CAPABILITIES, MongoDBOptions

if TYPE_CHECKING:
    from kv_mongodb.store import MongoDBStore

__all__ = ["MONGODB_CAPABILITIES", "MongoDBOptions", "MongoDBStore"]

__getattr__ = lazy_exports(__name__, {"MongoDBStore": "kv_mongodb.store"})
