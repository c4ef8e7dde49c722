"""One kv entry as one DynamoDB item, in py-key-value's DynamoDBStore layout.

=====================  ====  ================================================
attribute              type  holds
=====================  ====  ================================================
``collection``         S     the collection (partition key; see :mod:`kv_dynamodb.names`)
``key``                S     the key (sort key)
``value``              S     the entry's JSON document (:func:`kv.entry.encode_document`:
                             value, both names, ``created_at``, ``expires_at``)
``ttl``                N     expiry in whole epoch seconds, rounded up: the
                             table's TTL attribute, so DynamoDB deletes the item
``expires_at``         N     the exact expiry (kv's own: conditions compare it)
``kv_version``         S     a random token, new on every write by kv: the
                             version of the atomic operations
``kv_collection``      S     the original collection, when ``collection`` is a token
``kv_key``             S     the original key, when ``key`` is a token
=====================  ====  ================================================

py-key-value writes the first four (its ``ttl`` rounded down) and reads
``ttl`` as the expiry, so each library reads the other's items. An item
without ``expires_at`` (py-key-value's) expires at its ``ttl``, as
py-key-value reads it.
"""

from __future__ import annotations

import math
import os
from typing import Any

from kv.atomic import content_version
from kv.entry import StoredEntry, decode_document, encode_document
from kv.errors import DeserializationError
from kv_dynamodb.names import (
    COLLECTION_LIMIT,
    KEY_LIMIT,
    ORIGINAL_COLLECTION,
    ORIGINAL_KEY,
    encode_name,
    is_token,
)

__all__ = [
    "COLLECTION",
    "EXPIRES_AT",
    "KEY",
    "LEGACY_VERSION",
    "TTL",
    "VALUE",
    "VERSION",
    "Item",
    "entry_of",
    "expiry_of",
    "item_of",
    "key_of",
    "legacy_version",
    "number",
    "version_of",
]

Item = dict[str, Any]
"""An item in DynamoDB's low-level form: ``{"name": {"S": "text"}}``."""

COLLECTION = "collection"
KEY = "key"
VALUE = "value"
TTL = "ttl"
EXPIRES_AT = "expires_at"
VERSION = "kv_version"

LEGACY_VERSION = "doc:"
"""Prefix of the version of an item without ``kv_version`` (py-key-value's):
its document's :func:`~kv.atomic.content_version`."""


def number(value: float) -> dict[str, str]:
    """A DynamoDB number attribute value."""
    return {"N": repr(value)}


def key_of(collection: str, key: str) -> Item:
    """The primary key of ``(collection, key)``."""
    return {
        COLLECTION: {"S": encode_name(collection, COLLECTION_LIMIT)},
        KEY: {"S": encode_name(key, KEY_LIMIT)},
    }


def item_of(collection: str, key: str, entry: StoredEntry) -> Item:
    """The whole item of an entry, as kv writes it."""
    stored_collection = encode_name(collection, COLLECTION_LIMIT)
    stored_key = encode_name(key, KEY_LIMIT)
    item: Item = {
        COLLECTION: {"S": stored_collection},
        KEY: {"S": stored_key},
        VALUE: {"S": encode_document(entry, collection=collection, key=key)},
        VERSION: {"S": os.urandom(12).hex()},
    }
    if entry.expires_at is not None:
        # Rounded up: DynamoDB never deletes an entry before kv stops returning it.
        item[TTL] = {"N": str(math.ceil(entry.expires_at))}
        item[EXPIRES_AT] = number(entry.expires_at)
    if is_token(stored_collection):
        item[ORIGINAL_COLLECTION] = {"S": collection}
    if is_token(stored_key):
        item[ORIGINAL_KEY] = {"S": key}
    return item


def expiry_of(item: Item) -> float | None:
    """When an item expires (epoch seconds): ``expires_at``, else ``ttl``, else never."""
    found = item.get(EXPIRES_AT) or item.get(TTL)
    if found is None:
        return None
    text = found.get("N")
    if text is None:
        raise DeserializationError("Stored item's expiry is not a number")
    return float(text)


def _document(item: Item) -> str:
    value = item.get(VALUE)
    text = None if value is None else value.get("S")
    if text is None:
        kind = "missing" if value is None else f"of type {next(iter(value), '?')}"
        raise DeserializationError(f"Stored item's 'value' attribute is {kind}, not text")
    return str(text)


def entry_of(item: Item, key: str) -> StoredEntry:
    """The entry an item holds.

    Raises:
        DeserializationError: the item's document cannot be read (naming ``key``).
    """
    try:
        entry = decode_document(_document(item))
        if EXPIRES_AT in item or TTL in item:
            entry = entry._replace(expires_at=expiry_of(item))
    except DeserializationError as error:
        error.add_context(key=key)
        raise
    return entry


def legacy_version(document: str) -> str:
    """The version of an item that kv did not write (no ``kv_version``)."""
    return LEGACY_VERSION + content_version(document)


def version_of(item: Item) -> str:
    """The version of an item: its ``kv_version``, else its document's hash."""
    found = item.get(VERSION)
    if found is not None and "S" in found:
        return str(found["S"])
    return legacy_version(_document(item))
