"""The stored entry and its JSON document format.

A :class:`StoredEntry` is what a store keeps for one key: the value as compact
JSON text, when it was written and when it expires (seconds since the epoch).
Stores that keep one document per entry use :func:`encode_document` and
:func:`decode_document`. The document is compatible with py-key-value's
``ManagedEntry`` JSON, so either library reads what the other wrote::

    {"collection": "users", "created_at": "2025-01-01T00:00:00+00:00",
     "expires_at": "2025-01-01T00:00:10+00:00", "key": "alice",
     "value": {"name": "Alice"}, "version": 1}

``expires_at`` is left out when the entry never expires. Fields that are not
known are ignored when reading (py-key-value once wrote a ``ttl`` field), and
``value`` may also be a JSON string holding the object (py-key-value's
``value_format="string"``).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any, NamedTuple

from kv.errors import DeserializationError
from kv.values import load_object, load_value

__all__ = [
    "DOCUMENT_VERSION",
    "StoredEntry",
    "decode_document",
    "document_expiry",
    "document_is_live",
    "document_names_match",
    "encode_document",
    "entry_from_fields",
    "format_timestamp",
    "parse_document",
    "parse_timestamp",
]

DOCUMENT_VERSION = 1
"""The document format version written by this release."""

_dump_name = json.JSONEncoder(ensure_ascii=True).encode
_dump_value = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


class StoredEntry(NamedTuple):
    """One stored value with its timestamps.

    Attributes:
        value_json: The value as compact JSON text (a JSON object). Entries
            that are written always have it.
        created_at: When it was written, in seconds since the epoch, if known.
        expires_at: When it expires, in seconds since the epoch; ``None`` for never.
        value_object: A freshly decoded ``dict`` of the value, set by
            :func:`decode_document` so a read does not parse the value twice.
            Such an entry is built for one read and must not be cached.
    """

    value_json: str | None
    created_at: float | None = None
    expires_at: float | None = None
    value_object: dict[str, Any] | None = None

    def is_expired(self, now: float | None = None) -> bool:
        """Whether the entry has expired at ``now`` (default: the current time)."""
        expires_at = self.expires_at
        if expires_at is None:
            return False
        return expires_at <= (time.time() if now is None else now)

    def remaining(self, now: float | None = None) -> float | None:
        """Seconds until expiry (``None`` for never; may be <= 0 once expired)."""
        if self.expires_at is None:
            return None
        return self.expires_at - (time.time() if now is None else now)

    def value(self) -> dict[str, Any]:
        """The value as a ``dict`` that nobody else holds."""
        if self.value_object is not None:
            return self.value_object
        if self.value_json is None:
            raise DeserializationError("Stored entry has no value")
        return load_value(self.value_json)

    def json(self) -> str:
        """The value as compact JSON text."""
        if self.value_json is not None:
            return self.value_json
        return _dump_value(self.value_object)


def format_timestamp(epoch_seconds: float) -> str:
    """ISO 8601 text in UTC with offset, as py-key-value writes it."""
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).isoformat()


def parse_timestamp(text: object) -> float:
    """Seconds since the epoch from ISO 8601 text (naive text is taken as UTC).

    Raises:
        DeserializationError: ``text`` is not an ISO 8601 timestamp.
    """
    if not isinstance(text, str):
        raise DeserializationError(f"Stored timestamp is a {type(text).__name__}, not text")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DeserializationError(f"Stored timestamp {text[:40]!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def encode_document(entry: StoredEntry, *, collection: str, key: str) -> str:
    """The JSON document for ``entry`` (keys in sorted order, pure ASCII)."""
    parts = ['{"collection":', _dump_name(collection)]
    if entry.created_at is not None:
        parts.append(f',"created_at":"{format_timestamp(entry.created_at)}"')
    if entry.expires_at is not None:
        parts.append(f',"expires_at":"{format_timestamp(entry.expires_at)}"')
    parts += [',"key":', _dump_name(key), ',"value":', entry.json()]
    parts.append(f',"version":{DOCUMENT_VERSION}}}')
    return "".join(parts)


def entry_from_fields(document: dict[str, Any]) -> StoredEntry:
    """Build an entry from a decoded document (see :func:`decode_document`)."""
    if "value" not in document:
        raise DeserializationError("Stored document has no 'value' field")
    value = document["value"]
    if type(value) is str:
        value = load_value(value)  # py-key-value's value_format="string"
    elif type(value) is not dict:
        raise DeserializationError(
            f"Stored document's 'value' is a {type(value).__name__}, not an object"
        )
    created = document.get("created_at")
    expires = document.get("expires_at")
    return StoredEntry(
        None,
        None if created is None else parse_timestamp(created),
        None if expires is None else parse_timestamp(expires),
        value,
    )


def parse_document(document: str | bytes | bytearray | memoryview) -> dict[str, Any]:
    """Parse a stored JSON document into its fields, without building an entry.

    For stores that read the names or the expiry of a document before its
    value (see :func:`document_names_match` and :func:`document_is_live`).

    Raises:
        DeserializationError: the document is not JSON or not a JSON object.
    """
    return load_object(document, "Stored document")


def decode_document(document: str | bytes | bytearray | memoryview) -> StoredEntry:
    """Parse a stored JSON document back into a :class:`StoredEntry`.

    Raises:
        DeserializationError: the document is not JSON, not an object, or its
            fields have the wrong types. Stores add the key and collection.
    """
    return entry_from_fields(parse_document(document))


def document_names_match(document: dict[str, Any], collection: str, key: str) -> bool:
    """Whether a parsed document is the entry of ``(collection, key)``.

    A store whose backend compares names without case (Windows credentials,
    the registry) has the names inside the document decide. A document without
    names (none that kv or py-key-value writes) is taken as a match.
    """
    stored_collection: object = document.get("collection", collection)
    stored_key: object = document.get("key", key)
    return stored_collection == collection and stored_key == key


def document_expiry(document: dict[str, Any]) -> float | None:
    """The expiry (epoch seconds) of a parsed document, ``None`` if it has none.

    Raises:
        DeserializationError: the expiry is not a timestamp.
    """
    expires_at = document.get("expires_at")
    return None if expires_at is None else parse_timestamp(expires_at)


def document_is_live(document: dict[str, Any], now: float) -> bool:
    """Whether a parsed document has not expired at ``now`` (a damaged expiry
    counts as live, so that reading it reports the damage)."""
    try:
        expires_at = document_expiry(document)
    except DeserializationError:
        return True
    return expires_at is None or expires_at > now
