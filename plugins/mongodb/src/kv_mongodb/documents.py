"""Entries as MongoDB documents, py-key-value's MongoDBStore layout.

One document per entry::

    {"key": "alice", "collection": "users", "version": 1,
     "value": {"object": {"name": "Alice"}},
     "created_at": datetime, "expires_at": datetime | None, "kv_rev": "9f2c..."}

with BSON dates (UTC, millisecond precision), which py-key-value reads and
writes too. ``kv_rev`` is kv's own: a random token each write sets, from which
the atomic operations' versions are made (py-key-value ignores it). A value a
document cannot hold as it is (an integer beyond 64 bits; an object key that
is empty, starts with ``$`` or holds ``.`` or NUL, which MongoDB refuses in
some operations or versions; over 16 MiB of BSON) is kept as its JSON text,
``"value": {"json": "..."}``, which py-key-value cannot read.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from kv.atomic import expiring_version, live_token
from kv.entry import StoredEntry
from kv.errors import DeserializationError

__all__ = [
    "EXPIRES_AT",
    "KEY",
    "REVISION",
    "document_of",
    "entry_of",
    "expired_at",
    "live_at",
    "version_filter",
    "version_of",
]

KEY = "key"
EXPIRES_AT = "expires_at"
REVISION = "kv_rev"
FORMAT_VERSION = 1
"""The ``version`` field py-key-value writes (its document format)."""

_EPOCH = datetime(1970, 1, 1)
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Text that may hide what a document cannot hold: a NUL, a 19-digit integer, a
# "$" or "." (in a name, maybe), an empty name.
_SUSPECT = re.compile(r'\\u0000|\d{19}|"\$|\.|""')
_BSON_LIMIT = 16_000_000
_INT64 = 2**63


def _date(seconds: float | None) -> datetime | None:
    return None if seconds is None else _UTC_EPOCH + timedelta(seconds=seconds)


def _seconds(value: object, field: str, key: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise DeserializationError(f"Stored {field} is not a date", key=key)
    if value.tzinfo is not None:
        return (value - _UTC_EPOCH).total_seconds()
    return (value - _EPOCH).total_seconds()


def _holds(value: object) -> bool:
    """Whether a MongoDB document holds ``value`` as it is, in every write: no
    integer beyond 64 bits, no field name that is empty, starts with ``$`` or
    holds ``.`` or NUL (names MongoDB refuses in some operations or versions)."""
    if isinstance(value, dict):
        return all(
            name and name[0] != "$" and "." not in name and "\x00" not in name and _holds(item)
            for name, item in value.items()
        )
    if isinstance(value, list):
        return all(_holds(item) for item in value)
    if isinstance(value, int):
        return -_INT64 <= value < _INT64
    return True


def _bson_friendly(value_json: str) -> dict[str, Any] | None:
    """The value as a BSON-ready ``dict``, or ``None`` if a document cannot hold it."""
    value: dict[str, Any] = json.loads(value_json)
    if _SUSPECT.search(value_json) is not None and not _holds(value):
        return None
    if len(value_json) < 1_000_000:
        return value
    import bson  # pymongo's; only for values that may be too large

    return value if len(bson.encode({"object": value})) < _BSON_LIMIT else None


def document_of(collection: str, key: str, entry: StoredEntry) -> dict[str, Any]:
    """The document that stores ``entry`` (a fresh revision each call)."""
    value_json = entry.json()
    value = _bson_friendly(value_json)
    document: dict[str, Any] = {
        KEY: key,
        "collection": collection,
        "version": FORMAT_VERSION,
        "value": {"json": value_json} if value is None else {"object": value},
    }
    # A date field is left out rather than null (py-key-value refuses a null).
    if entry.created_at is not None:
        document["created_at"] = _date(entry.created_at)
    if entry.expires_at is not None:
        document[EXPIRES_AT] = _date(entry.expires_at)
    document[REVISION] = secrets.token_hex(8)
    return document


def entry_of(document: dict[str, Any], key: str) -> StoredEntry:
    """The entry a document stores.

    Raises:
        DeserializationError: the document is not one of an entry.
    """
    stored = document.get("value")
    if isinstance(stored, dict):
        value = stored.get("object")
        if isinstance(value, dict):
            created_at = _seconds(document.get("created_at"), "created_at", key)
            expires_at = _seconds(document.get(EXPIRES_AT), EXPIRES_AT, key)
            return StoredEntry(None, created_at, expires_at, value)
        text = stored.get("json")
        if isinstance(text, str):
            created_at = _seconds(document.get("created_at"), "created_at", key)
            return StoredEntry(
                text, created_at, _seconds(document.get(EXPIRES_AT), EXPIRES_AT, key)
            )
    raise DeserializationError("Stored document has no value object", key=key)


def _milliseconds(value: object) -> int | None:
    if not isinstance(value, datetime):
        return None
    start = _UTC_EPOCH if value.tzinfo is not None else _EPOCH
    return (value - start) // timedelta(milliseconds=1)


def version_of(document: dict[str, Any], entry: StoredEntry) -> str:
    """The version of a stored document: its revision and write time (py-key-value's
    documents have no revision; a write by either library changes the pair), and
    its expiry, so a conditional write can refuse an expired entry unread."""
    revision = document.get(REVISION)
    created = _milliseconds(document.get("created_at"))
    token = f"{revision if isinstance(revision, str) else ''}/{'' if created is None else created}"
    return expiring_version(token, entry.expires_at)


def version_filter(key: str, version: str, now: float) -> dict[str, Any] | None:
    """The filter of the document of ``key`` that still has ``version`` (``None``: a
    version of an expired entry, or not one of this store)."""
    token = live_token(version, now)
    if token is None:
        return None
    revision, separator, created = token.rpartition("/")
    if not separator or (created and not created.isdigit()):
        return None
    return {
        KEY: key,
        REVISION: revision or None,
        "created_at": _UTC_EPOCH + timedelta(milliseconds=int(created)) if created else None,
    }


def live_at(now: float) -> dict[str, Any]:
    """The filter of documents that are live at ``now``."""
    return {"$or": [{EXPIRES_AT: None}, {EXPIRES_AT: {"$gt": _date(now)}}]}


def expired_at(now: float) -> dict[str, Any]:
    """The filter of documents that expired at or before ``now`` (``$ne`` first: a
    missing expiry is never one)."""
    return {EXPIRES_AT: {"$ne": None, "$lte": _date(now)}}
