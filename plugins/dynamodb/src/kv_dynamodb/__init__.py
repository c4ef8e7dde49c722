"""kv-dynamodb: a kv store in one Amazon DynamoDB table.

Once the distribution is installed,
``kv.connect("dynamodb://kv-cache?region=eu-west-1")`` opens it; or build it directly
with ``DynamoDBStore("kv-cache", region="eu-west-1")``. The store (and aioboto3) is
imported on first access to :class:`DynamoDBStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_dynamodb.plugin import DYNAMODB_CAPABILITIES, DynamoDBOptions

if TYPE_CHECKING:
    from kv_dynamodb.store import DynamoDBStore

__all__ = ["DYNAMODB_CAPABILITIES", "DynamoDBOptions", "DynamoDBStore"]

__getattr__ = lazy_exports(__name__, {"DynamoDBStore": "kv_dynamodb.store"})
