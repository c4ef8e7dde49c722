"""How kv-conformance damages an entry of a ``dynamodb://`` store.

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it.
"""

from __future__ import annotations

from kv.protocols import AsyncKeyValue
from kv_aws import error_code
from kv_conformance.hooks import store_of_type
from kv_dynamodb.items import VALUE, key_of
from kv_dynamodb.store import DynamoDBStore

__all__ = ["HOOKS", "DynamoDBConformanceHooks"]


class DynamoDBConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_dynamodb.store.DynamoDBStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Set the item's ``value`` to text that is not JSON, with a plain UpdateItem
        on the item if it exists (the store's client, not its API)."""
        store = store_of_type(store, DynamoDBStore)
        await store.setup()
        client = await store._clients.get()
        try:
            await client.update_item(
                TableName=store.table,
                Key=key_of(collection, key),
                UpdateExpression="SET #v = :damaged",
                ConditionExpression="attribute_exists(#v)",
                ExpressionAttributeNames={"#v": VALUE},
                ExpressionAttributeValues={":damaged": {"S": '{"not": "closed'}},
            )
        except Exception as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True


HOOKS = DynamoDBConformanceHooks()
"""The object the plugin's declaration names."""
