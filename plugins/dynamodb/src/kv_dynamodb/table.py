"""The table a store uses: checked on first use, created if missing and allowed.

A created table has py-key-value's key schema (partition key ``collection``,
sort key ``key``, both strings), on-demand billing, and DynamoDB's TTL enabled
on the ``ttl`` attribute. A table made by someone else is used as it is if its
key schema fits; its TTL setting is left alone.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from kv.errors import StoreSetupError
from kv_aws.errors import error_code
from kv_dynamodb.items import COLLECTION, KEY, TTL

__all__ = ["prepare_table"]

ACTIVE_DEADLINE = 300.0
"""Seconds to wait for a new table to become ACTIVE."""


async def prepare_table(client: Any, table: str, *, create: bool) -> None:
    """Make sure ``table`` exists, is ACTIVE and has kv's key schema.

    Raises:
        StoreSetupError: the table is missing (and ``create`` is off), has
            another key schema, or never became ACTIVE.
    """
    try:
        description = (await client.describe_table(TableName=table))["Table"]
    except Exception as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        if not create:
            raise StoreSetupError(
                f"The DynamoDB table {table!r} does not exist (auto_create is off:"
                " create it, or let the store create it with auto_create=true)"
            ) from None
        description = await _create(client, table)
    _check_schema(description, table)
    if description.get("TableStatus") != "ACTIVE":
        await _wait_active(client, table)


async def _create(client: Any, table: str) -> dict[str, Any]:
    try:
        response = await client.create_table(
            TableName=table,
            KeySchema=[
                {"AttributeName": COLLECTION, "KeyType": "HASH"},
                {"AttributeName": KEY, "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": COLLECTION, "AttributeType": "S"},
                {"AttributeName": KEY, "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    except Exception as error:
        if error_code(error) != "ResourceInUseException":  # another store created it meanwhile
            raise
        return dict((await client.describe_table(TableName=table))["Table"])
    await _wait_active(client, table)
    try:
        await client.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL}
        )
    except Exception as error:
        if error_code(error) != "ValidationException":  # already enabled (by a racing creator)
            raise
    return dict(response["TableDescription"])


def _check_schema(description: dict[str, Any], table: str) -> None:
    schema = {part["KeyType"]: part["AttributeName"] for part in description.get("KeySchema", [])}
    types = {
        part["AttributeName"]: part["AttributeType"]
        for part in description.get("AttributeDefinitions", [])
    }
    if schema != {"HASH": COLLECTION, "RANGE": KEY} or any(
        types.get(name) != "S" for name in (COLLECTION, KEY)
    ):
        raise StoreSetupError(
            f"The DynamoDB table {table!r} has the key schema {schema!r}, not a string partition"
            f" key {COLLECTION!r} and sort key {KEY!r}: it is not a kv / py-key-value table"
        )


async def _wait_active(client: Any, table: str) -> None:
    """Poll until the table is ACTIVE (DynamoDB Local: at once; AWS: seconds)."""
    deadline = time.monotonic() + ACTIVE_DEADLINE
    pause = 0.05
    while True:
        description = (await client.describe_table(TableName=table))["Table"]
        if description.get("TableStatus") == "ACTIVE":
            return
        if time.monotonic() > deadline:
            raise StoreSetupError(
                f"The DynamoDB table {table!r} is still {description.get('TableStatus')}"
                f" after {ACTIVE_DEADLINE:.0f} s"
            )
        await asyncio.sleep(pause)
        pause = min(pause * 2, 2.0)
