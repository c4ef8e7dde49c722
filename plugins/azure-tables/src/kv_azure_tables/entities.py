"""One kv entry as one Azure Tables entity, in py-key-value's AzureTablesStore layout.

==============  ==========  ====================================================
property        type        holds
==============  ==========  ====================================================
PartitionKey    String      the collection (:mod:`kv_azure_tables.names`)
RowKey          String      the key
Value           String      the entry's JSON document (:func:`kv.entry.encode_document`:
                            value, names, ``created_at``, ``expires_at``)
ExpiresAt       Int64       the expiry in whole seconds since the epoch (rounded
                            down), only for an entry that expires
Collection      String      the original collection, only when PartitionKey is hashed
Key             String      the original key, only when RowKey is hashed
==============  ==========  ====================================================

A string property holds at most 32,768 UTF-16 code units (64 KiB). A longer
document is stored as UTF-8 in binary properties ``Value0``, ``Value1``, ...
of 64 KiB each instead of ``Value`` (py-key-value, which cannot write such
an entity, reads it as missing); an entity holds at most 1 MiB, so a
document may take at most :data:`DOCUMENT_LIMIT` bytes.

The document's ``expires_at`` is exact; ``ExpiresAt`` (which py-key-value
reads, and queries can compare) is the same instant rounded down, so an
entity whose ``ExpiresAt`` is ``t`` expires in ``[t, t + 1)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.data.tables import EdmType, EntityProperty

from kv.entry import (
    StoredEntry,
    document_names_match,
    encode_document,
    entry_from_fields,
    parse_document,
)
from kv.errors import DeserializationError, EntryTooLargeError
from kv_azure_tables.names import is_hashed

__all__ = [
    "COLLECTION",
    "DOCUMENT_LIMIT",
    "EXPIRES_AT",
    "KEY",
    "PART_NAMES",
    "VALUE",
    "build_entity",
    "document_fields",
    "entity_size",
    "expires_hint",
    "expiry_is_certain",
    "read_entry",
]

VALUE = "Value"
EXPIRES_AT = "ExpiresAt"
KEY = "Key"
COLLECTION = "Collection"

STRING_LIMIT = 32_768
"""Most UTF-16 code units of a string property."""
PART_SIZE = 65_536
"""Bytes of one binary property."""
PARTS = 11
"""Most binary parts of a document: 11 x 64 KiB, base64 in the request, stay
under the 1 MiB that Azurite allows an entity's JSON body."""
DOCUMENT_LIMIT = PART_SIZE * PARTS
"""Most bytes of an entry's JSON document (its value plus names and timestamps)."""

PART_NAMES = tuple(f"{VALUE}{index}" for index in range(PARTS))
"""The binary properties of a long document, in order."""


def _units(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def build_entity(
    partition: str, row: str, collection: str, key: str, entry: StoredEntry
) -> dict[str, Any]:
    """The entity that stores ``entry`` under ``(partition, row)``.

    Raises:
        EntryTooLargeError: the document (value and names) is over
            :data:`DOCUMENT_LIMIT` bytes.
    """
    document = encode_document(entry, collection=collection, key=key)  # ASCII
    entity: dict[str, Any] = {"PartitionKey": partition, "RowKey": row}
    if len(document) <= STRING_LIMIT:
        entity[VALUE] = document
    else:
        size = len(document)
        if size > DOCUMENT_LIMIT:
            raise EntryTooLargeError(
                f"The entry is {size} bytes of JSON with its names; an Azure Tables entity"
                f" (1 MiB at most) holds at most {DOCUMENT_LIMIT}",
                size=size,
                limit=DOCUMENT_LIMIT,
            )
        data = document.encode("ascii")
        for index, start in enumerate(range(0, size, PART_SIZE)):
            entity[PART_NAMES[index]] = data[start : start + PART_SIZE]
    if entry.expires_at is not None:
        entity[EXPIRES_AT] = EntityProperty(int(entry.expires_at), EdmType.INT64)
    if is_hashed(partition) and _fits(collection):
        entity[COLLECTION] = collection
    if is_hashed(row) and _fits(key):
        entity[KEY] = key
    return entity


def _fits(name: str) -> bool:
    return _units(name) <= STRING_LIMIT


def entity_size(entity: Mapping[str, Any]) -> int:
    """About how many bytes ``entity`` takes in a request (binary as base64)."""
    size = 200
    for name, value in entity.items():
        size += len(name) + 40
        if isinstance(value, bytes):
            size += (len(value) + 2) // 3 * 4
        elif isinstance(value, str):
            size += 2 * _units(value)
        else:
            size += 24
    return size


def expires_hint(entity: Mapping[str, Any]) -> int | None:
    """The entity's ``ExpiresAt`` in whole seconds, if it has one."""
    raw = entity.get(EXPIRES_AT)
    if isinstance(raw, EntityProperty):
        raw = raw.value
    return raw if type(raw) is int else None


def expiry_is_certain(hint: int | None, now: float) -> bool | None:
    """Whether an entity whose ``ExpiresAt`` is ``hint`` has expired at ``now``:
    ``True``/``False``, or ``None`` when only its document can tell (it expires
    within the second ``now`` is in)."""
    if hint is None or now < hint:
        return False
    if now >= hint + 1:
        return True
    return None


def _document(entity: Mapping[str, Any], key: str | None) -> str | bytes:
    value = entity.get(VALUE)
    if value is not None:
        if not isinstance(value, str):
            raise DeserializationError(
                f"Stored {VALUE} is a {type(value).__name__}, not JSON text", key=key
            )
        return value
    parts: list[bytes] = []
    for name in PART_NAMES:
        part = entity.get(name)
        if part is None:
            break
        if not isinstance(part, bytes):
            raise DeserializationError(
                f"Stored {name} is a {type(part).__name__}, not binary", key=key
            )
        parts.append(part)
    if not parts:
        raise DeserializationError(f"Stored entity has no {VALUE} property", key=key)
    return b"".join(parts)


def document_fields(entity: Mapping[str, Any], key: str | None = None) -> dict[str, Any]:
    """The parsed JSON document of an entity (its value, names and timestamps).

    Raises:
        DeserializationError: the document cannot be read (naming ``key``).
    """
    try:
        return parse_document(_document(entity, key))
    except DeserializationError as error:
        error.add_context(key=key)
        raise


def read_entry(
    entity: Mapping[str, Any], collection: str, key: str, *, hashed: bool = False
) -> StoredEntry | None:
    """The entry an entity stores (``None``: a hashed name's entity that is another's).

    The document's exact expiry is kept; an ``ExpiresAt`` that disagrees with
    it by a second or more wins (py-key-value's rule: the property is the truth).

    Raises:
        DeserializationError: the entity's document cannot be read (naming ``key``).
    """
    fields = document_fields(entity, key)
    if hashed and not document_names_match(fields, collection, key):
        return None
    try:
        entry = entry_from_fields(fields)
    except DeserializationError as error:
        error.add_context(key=key)
        raise
    hint = expires_hint(entity)
    expires_at = entry.expires_at
    if hint is not None and (expires_at is None or not hint <= expires_at < hint + 1):
        return entry._replace(expires_at=float(hint))
    return entry
