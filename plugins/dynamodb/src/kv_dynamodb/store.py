"""``dynamodb://TABLE``: a kv store in one Amazon DynamoDB table.

Every entry is one item (layout: :mod:`kv_dynamodb.items`, py-key-value's
DynamoDBStore layout), keyed by collection (partition key) and key (sort
key); names DynamoDB cannot hold are mapped by :mod:`kv_dynamodb.names`.
Expiry is native: the ``ttl`` attribute is the table's TTL attribute, and
since DynamoDB deletes expired items lazily (within days), reads, listings
and conditions hide them by their exact expiry.

Calls and their DynamoDB operations:

* ``get``/``put``/``delete``: GetItem, PutItem, DeleteItem (``ALL_OLD``
  tells whether a live entry existed);
* ``get_many``: BatchGetItem, 100 keys a call; ``put_many``: BatchWriteItem,
  25 a call; ``delete_many``: BatchGetItem (which keys are live, for the
  count) then BatchWriteItem. Chunks run concurrently; unprocessed keys and
  items are sent again with growing, jittered pauses;
* ``keys()``: Query on the partition key, a page per call; ``collections()``:
  a Scan of the key attributes (it reads, and is billed for, the whole
  table); ``destroy_collection``: Query + BatchWriteItem; ``destroy`` and
  ``cull``: Scan + BatchWriteItem;
* the atomic operations: PutItem/DeleteItem with a ConditionExpression on
  the item's ``kv_version`` (or, for an item py-key-value wrote, its whole
  document) and its expiry.

Each event loop that uses the store gets its own aioboto3 client
(:class:`kv_aws.AwsClients`).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Sequence
from functools import partial
from typing import Any

from kv.concurrent import run_all
from kv.entry import StoredEntry
from kv.errors import KeyValueError, StoreTimeoutError
from kv.store import AtomicMixin, FullStore
from kv_aws import AwsClients, error_code, translate_error
from kv_dynamodb.items import (
    COLLECTION,
    EXPIRES_AT,
    KEY,
    LEGACY_VERSION,
    TTL,
    VALUE,
    VERSION,
    Item,
    entry_of,
    expiry_of,
    item_of,
    key_of,
    legacy_version,
    number,
    version_of,
)
from kv_dynamodb.names import (
    COLLECTION_LIMIT,
    ORIGINAL_COLLECTION,
    ORIGINAL_KEY,
    decode_name,
    encode_name,
)
from kv_dynamodb.plugin import PLUGIN, DynamoDBOptions
from kv_dynamodb.table import prepare_table

__all__ = ["BATCH_GET_LIMIT", "BATCH_WRITE_LIMIT", "DynamoDBOptions", "DynamoDBStore"]

BATCH_GET_LIMIT = 100
"""Keys one BatchGetItem call may ask for."""

BATCH_WRITE_LIMIT = 25
"""Requests one BatchWriteItem call may carry."""

BATCH_ATTEMPTS = 12
"""Calls one batch gets before its unprocessed remainder is a StoreTimeoutError."""

_CONFLICT = "ConditionalCheckFailedException"

# Expressions. DynamoDB reserves "key", "value" and "ttl": attributes are always
# named through placeholders, and each expression lists only the ones it uses.
_LIVE = "(attribute_not_exists(#e) AND (attribute_not_exists(#t) OR #t > :now)) OR #e > :now"
_EXPIRED = "#e <= :now OR (attribute_not_exists(#e) AND #t <= :now)"
_EXPIRY_NAMES = {"#e": EXPIRES_AT, "#t": TTL}


def _backoff(attempt: int) -> float:
    return min(1.0, 0.02 * 2.0**attempt) * random.uniform(0.5, 1.0)


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _is_live(item: Item, now: float) -> bool:
    expires_at = expiry_of(item)
    return expires_at is None or expires_at > now


def _original(item: Item, attribute: str, original: str) -> str:
    """The name a listed item stands for (the stored name's decoding, or the original)."""
    name = decode_name(str(item[attribute]["S"]))
    if name is None:
        return str(item.get(original, {}).get("S", item[attribute]["S"]))
    return name


class DynamoDBStore(AtomicMixin, FullStore, plugin=PLUGIN):
    """A kv store in one DynamoDB table.

    Nothing is connected until the first call (or :meth:`setup`): the table
    is checked then, and created if missing (``auto_create``).

    Options (keywords, or a :class:`~kv_dynamodb.plugin.DynamoDBOptions`,
    where each is documented): ``table`` (also the first positional
    argument), ``auto_create``, ``consistent_read``, kv-aws's ``region``,
    ``endpoint_url``, ``profile``, credentials, timeouts, ``max_attempts``
    and ``max_connections``, ``default_collection`` and the sweep options.

    Raises:
        InvalidOptionError: a bad table name or option value.
    """

    options: DynamoDBOptions

    def __init__(self, options: DynamoDBOptions | str | None = None, /, **keywords: object) -> None:
        super().__init__(options, **keywords)
        self.table = self.options.table
        self._where = f"the DynamoDB table {self.table!r}"
        self._clients = AwsClients("dynamodb", self.options)
        self._consistent = self.options.consistent_read

    def __repr__(self) -> str:  # never the credentials
        endpoint = self.options.endpoint_url
        at = "" if endpoint is None else f" endpoint={endpoint!r}"
        default = self.default_collection
        return f"<DynamoDBStore table={self.table!r}{at} default_collection={default!r}>"

    # --- lifecycle -------------------------------------------------------------------

    async def _open(self) -> None:
        client = await self._clients.get()
        await prepare_table(client, self.table, create=self.options.auto_create)

    async def _close(self) -> None:
        await self._clients.close()

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        client = await self._clients.get()
        response = await client.get_item(
            TableName=self.table, Key=key_of(collection, key), ConsistentRead=self._consistent
        )
        item = response.get("Item")
        return None if item is None else entry_of(item, key)

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        stored = {key: key_of(collection, key) for key in keys}
        unique = list({pair[KEY]["S"]: pair for pair in stored.values()}.values())
        client = await self._clients.get()
        found: dict[str, Item] = {}
        for page in await run_all(
            [partial(self._batch_get, client, chunk) for chunk in _chunks(unique, 100)]
        ):
            for listed in page:
                found[listed[KEY]["S"]] = listed
        entries: list[StoredEntry | None] = []
        for key in keys:
            item = found.get(stored[key][KEY]["S"])
            entries.append(None if item is None else entry_of(item, key))
        return entries

    async def _batch_get(
        self, client: Any, keys: Sequence[Item], projection: str | None = None
    ) -> list[Item]:
        """The items of up to 100 keys, asking again for unprocessed keys."""
        request: dict[str, Any] = {"Keys": list(keys), "ConsistentRead": self._consistent}
        if projection is not None:
            request["ProjectionExpression"] = projection
            request["ExpressionAttributeNames"] = {
                "#c": COLLECTION,
                "#k": KEY,
                **_EXPIRY_NAMES,
            }
        pending: dict[str, Any] = {self.table: request}
        items: list[Item] = []
        for attempt in range(BATCH_ATTEMPTS):
            response = await client.batch_get_item(RequestItems=pending)
            items.extend(response.get("Responses", {}).get(self.table, []))
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                return items
            await asyncio.sleep(_backoff(attempt))
        raise self._unprocessed(len(pending[self.table]["Keys"]), "read")

    def _unprocessed(self, count: int, what: str) -> StoreTimeoutError:
        return StoreTimeoutError(
            f"{self._where} left {count} keys un{what} after {BATCH_ATTEMPTS} batch calls"
            " (throttled: raise its capacity, or retry later)"
        )

    async def _batch_write(self, client: Any, requests: Sequence[Item]) -> None:
        """Send write requests, 25 a call, concurrently; unprocessed ones again."""
        await run_all(
            [partial(self._write_chunk, client, chunk) for chunk in _chunks(requests, 25)]
        )

    async def _write_chunk(self, client: Any, requests: Sequence[Item]) -> None:
        pending: dict[str, Any] = {self.table: list(requests)}
        for attempt in range(BATCH_ATTEMPTS):
            response = await client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
            await asyncio.sleep(_backoff(attempt))
        raise self._unprocessed(len(pending[self.table]), "written")

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        client = await self._clients.get()
        await client.put_item(TableName=self.table, Item=item_of(collection, key, entry))

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        requests = [
            {"PutRequest": {"Item": item_of(collection, key, entry)}}
            for key, entry in zip(keys, entries)
        ]
        await self._batch_write(await self._clients.get(), requests)

    async def _delete_entry(self, collection: str, key: str) -> bool:
        client = await self._clients.get()
        response = await client.delete_item(
            TableName=self.table, Key=key_of(collection, key), ReturnValues="ALL_OLD"
        )
        old = response.get("Attributes")
        return old is not None and _is_live(old, time.time())

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        unique = list(
            {pair[KEY]["S"]: pair for pair in (key_of(collection, key) for key in keys)}.values()
        )
        client = await self._clients.get()
        # Which keys hold live entries (the count), then delete them all. Two
        # delete_many calls racing on one key may both count it.
        pages = await run_all(
            [
                partial(self._batch_get, client, chunk, "#c, #k, #e, #t")
                for chunk in _chunks(unique, 100)
            ]
        )
        now = time.time()
        live = sum(_is_live(item, now) for page in pages for item in page)
        await self._batch_write(client, [{"DeleteRequest": {"Key": pair}} for pair in unique])
        return live

    # --- atomic operations ------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        assert entry.created_at is not None  # the base sets it ("now")
        return await self._conditional(
            "put_item",
            Item=item_of(collection, key, entry),
            ConditionExpression=f"attribute_not_exists(#k) OR {_EXPIRED}",
            ExpressionAttributeNames={"#k": KEY, **_EXPIRY_NAMES},
            ExpressionAttributeValues={":now": number(entry.created_at)},
        )

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        client = await self._clients.get()
        response = await client.get_item(
            TableName=self.table, Key=key_of(collection, key), ConsistentRead=True
        )
        item = response.get("Item")
        if item is None:
            return None
        return entry_of(item, key), version_of(item)

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        assert entry.created_at is not None  # the base sets it ("now")
        condition = await self._version_condition(collection, key, version, entry.created_at)
        if condition is None:
            return False
        return await self._conditional(
            "put_item", Item=item_of(collection, key, entry), **condition
        )

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        condition = await self._version_condition(collection, key, version, now)
        if condition is None:
            return False
        return await self._conditional("delete_item", Key=key_of(collection, key), **condition)

    async def _version_condition(
        self, collection: str, key: str, version: str, now: float
    ) -> dict[str, Any] | None:
        """The condition that the live item still has ``version`` (``None``: it has not).

        kv's items carry their version (``kv_version``): the condition compares
        it. An item py-key-value wrote has none; its version is its document's
        hash, so the item is read, and if its document still has that hash the
        condition compares the whole document (which has the write time in it).
        """
        if not version.startswith(LEGACY_VERSION):
            return {
                "ConditionExpression": "#r = :version AND (attribute_not_exists(#e) OR #e > :now)",
                "ExpressionAttributeNames": {"#r": VERSION, "#e": EXPIRES_AT},
                "ExpressionAttributeValues": {":version": {"S": version}, ":now": number(now)},
            }
        client = await self._clients.get()
        response = await client.get_item(
            TableName=self.table, Key=key_of(collection, key), ConsistentRead=True
        )
        item = response.get("Item")
        if item is None or VERSION in item or not _is_live(item, now):
            return None
        document = item.get(VALUE, {}).get("S")
        if not isinstance(document, str) or legacy_version(document) != version:
            return None
        return {
            "ConditionExpression": (
                "attribute_not_exists(#r) AND #v = :document"
                " AND (attribute_not_exists(#t) OR #t > :now)"
            ),
            "ExpressionAttributeNames": {"#r": VERSION, "#v": VALUE, "#t": TTL},
            "ExpressionAttributeValues": {":document": {"S": document}, ":now": number(now)},
        }

    async def _conditional(self, operation: str, **arguments: Any) -> bool:
        """Run a conditional PutItem or DeleteItem; whether its condition held."""
        client = await self._clients.get()
        try:
            await getattr(client, operation)(TableName=self.table, **arguments)
        except Exception as error:
            if error_code(error) == _CONFLICT:
                return False
            raise
        return True

    # --- optional capabilities ----------------------------------------------------------

    # The walks themselves, not generators around them: the base closes them when
    # the caller stops early.
    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        arguments = {
            "KeyConditionExpression": "#c = :c",
            "FilterExpression": _LIVE,
            "ProjectionExpression": "#k, #o",
            "ExpressionAttributeNames": {
                "#c": COLLECTION,
                "#k": KEY,
                "#o": ORIGINAL_KEY,
                **_EXPIRY_NAMES,
            },
            "ExpressionAttributeValues": {
                ":c": {"S": encode_name(collection, COLLECTION_LIMIT)},
                ":now": number(time.time()),
            },
        }
        async for items in self._pages("query", page_size, arguments):
            if items:
                yield [_original(item, KEY, ORIGINAL_KEY) for item in items]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        arguments = {
            "FilterExpression": _LIVE,
            "ProjectionExpression": "#c, #o",
            "ExpressionAttributeNames": {
                "#c": COLLECTION,
                "#o": ORIGINAL_COLLECTION,
                **_EXPIRY_NAMES,
            },
            "ExpressionAttributeValues": {":now": number(time.time())},
        }
        seen: set[str] = set()
        async for items in self._pages("scan", page_size, arguments):
            page = []
            for item in items:
                name = _original(item, COLLECTION, ORIGINAL_COLLECTION)
                if name not in seen:
                    seen.add(name)
                    page.append(name)
            if page:
                yield page

    async def _pages(
        self, operation: str, page_size: int, arguments: dict[str, Any]
    ) -> AsyncIterator[list[Item]]:
        """The items of a Query or Scan, one response at a time (each may be empty)."""
        client = await self._clients.get()
        start: Item | None = None
        while True:
            more = {} if start is None else {"ExclusiveStartKey": start}
            response = await getattr(client, operation)(
                TableName=self.table,
                Limit=page_size,
                ConsistentRead=self._consistent,
                **arguments,
                **more,
            )
            yield response.get("Items", [])
            start = response.get("LastEvaluatedKey")
            if start is None:
                return

    async def _delete_found(
        self, operation: str, arguments: dict[str, Any], limit: int | None = None
    ) -> tuple[int, int]:
        """Delete the items a Query or Scan finds (at most ``limit``): (deleted, live)."""
        client = await self._clients.get()
        names = {"#c": COLLECTION, "#k": KEY, **_EXPIRY_NAMES, **arguments.pop("names", {})}
        arguments = {
            "ProjectionExpression": "#c, #k, #e, #t",
            "ExpressionAttributeNames": names,
            **arguments,
        }
        deleted = live = 0
        now = time.time()
        async for page in self._pages(operation, 1000, arguments):
            items = page if limit is None else page[: limit - deleted]
            if items:
                live += sum(_is_live(item, now) for item in items)
                requests = [
                    {"DeleteRequest": {"Key": {COLLECTION: item[COLLECTION], KEY: item[KEY]}}}
                    for item in items
                ]
                await self._batch_write(client, requests)
                deleted += len(items)
            if limit is not None and deleted >= limit:
                break
        return deleted, live

    async def _destroy(self) -> bool:
        deleted, _ = await self._delete_found("scan", {})
        return deleted > 0

    async def _destroy_collection(self, collection: str) -> bool:
        _, live = await self._delete_found(
            "query",
            {
                "KeyConditionExpression": "#c = :c",
                "ExpressionAttributeValues": {
                    ":c": {"S": encode_name(collection, COLLECTION_LIMIT)}
                },
            },
        )
        return live > 0

    async def _cull(self, now: float, limit: int | None) -> int:
        deleted, _ = await self._delete_found(
            "scan",
            {"FilterExpression": _EXPIRED, "ExpressionAttributeValues": {":now": number(now)}},
            limit,
        )
        return deleted

    # --- errors ------------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """botocore's errors as kv errors (kv-aws's mapping; never the credentials)."""
        return translate_error(error, where=self._where)
