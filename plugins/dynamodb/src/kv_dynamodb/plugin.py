"""The declaration of ``dynamodb://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv and
kv-aws's options: listing plugins or resolving the scheme never imports
aioboto3 or :mod:`kv_dynamodb.store`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kv.errors import InvalidURLError
from kv.plugin import Capabilities, StorePlugin, checks, option
from kv.url import StoreURL
from kv_aws.options import AwsOptions

__all__ = ["DYNAMODB_CAPABILITIES", "MAX_VALUE_SIZE", "PLUGIN", "DynamoDBOptions"]

MAX_VALUE_SIZE = 350_000
"""Largest value JSON a store takes (DynamoDB's items hold at most 400 KB, and an
item holds the value's document plus its names)."""

# aioboto3 (aiohttp) is an asyncio library: asyncio_only.
DYNAMODB_CAPABILITIES = Capabilities.every_operation(
    persistent=True,
    native_ttl=True,
    asyncio_only=True,
    atomic=True,
    max_value_size=MAX_VALUE_SIZE,
)
"""What :class:`kv_dynamodb.store.DynamoDBStore` can do."""

_TABLE_NAME = re.compile(r"[A-Za-z0-9_.\-]{3,255}")


def _table(value: object) -> str:
    """A DynamoDB table name: 3 to 255 letters, digits, ``_``, ``-`` or ``.``."""
    if not isinstance(value, str) or _TABLE_NAME.fullmatch(value) is None:
        shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
        raise ValueError(
            f"must be a DynamoDB table name (3 to 255 letters, digits, '_', '-' or '.'),"
            f" not {shown}"
        )
    return value


class DynamoDBOptions(AwsOptions):
    """Options of ``dynamodb://TABLE``, from the URL or keywords (``DynamoDBStore``, ``connect``).

    The URL's location is the table (``dynamodb://kv-cache?region=eu-west-1``);
    region, endpoint and credentials fall back on the AWS SDK's usual chain
    (``AWS_REGION``, ``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``~/.aws``, roles).

    Attributes:
        table: The table holding the entries (3 to 255 letters, digits, ``_``,
            ``-`` or ``.``): partition key ``collection``, sort key ``key``,
            py-key-value's DynamoDBStore layout.
        auto_create: Create the table (on-demand billing, TTL on the ``ttl``
            attribute) on first use if it is missing; otherwise a missing table
            is a :class:`~kv.errors.StoreSetupError`.
        consistent_read: Read with strongly consistent reads (a read sees every
            write that returned before it); off: eventually consistent reads,
            at half the read capacity.
        sweep_interval: Seconds between sweeps of expired entries during
            writes; ``none`` (the default) leaves them to DynamoDB's own TTL
            deletion (a sweep scans the whole table). ``cull()`` still works.
    """

    positional = "table"
    table: str = option(check=_table)
    auto_create: bool = True
    consistent_read: bool = True
    sweep_interval: float | None = option(default=None, check=checks.positive_seconds)

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """The table named between ``dynamodb://`` and ``?``."""
        if url.username is not None or url.password is not None:
            raise InvalidURLError(
                f"{url.scheme}:// takes a table name, not credentials, in its location;"
                " use the AWS environment or the aws_* options"
            )
        table = url.location.strip("/")
        if not table:
            raise InvalidURLError(f"{url.scheme}:// needs a table: dynamodb://TABLE?region=...")
        return {"table": table}


PLUGIN = StorePlugin(
    store="kv_dynamodb.store:DynamoDBStore",
    options=DynamoDBOptions,
    capabilities=DYNAMODB_CAPABILITIES,
    description="One Amazon DynamoDB table (aioboto3), py-key-value's layout, native TTL",
)
"""The declaration the ``kv.stores`` entry point ``dynamodb`` names."""
