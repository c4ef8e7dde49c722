"""kv-dynamodb: a kv store in one Amazon DynamoDB table.

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("dynamodb://kv-cache?region=eu-west-1")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it directly with ``DynamoDBStore("kv-cache", region="eu-west-1")``.
The store (and aioboto3) is imported on first access to :class:`DynamoDBStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_dynamodb.plugin import DYNAMODB_CAPABILITIES, DynamoDBOptions

if TYPE_CHECKING:
    from kv_dynamodb.store import DynamoDBStore

__all__ = ["DYNAMODB_CAPABILITIES", "DynamoDBOptions", "DynamoDBStore"]

__getattr__ = lazy_exports(__name__, {"DynamoDBStore": "kv_dynamodb.store"})
