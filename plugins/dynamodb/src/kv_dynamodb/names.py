"""Collections and keys as DynamoDB key attributes, which hold at most 2 048
(partition key) and 1 024 (sort key) bytes of UTF-8.

A name that fits and does not start with :data:`MARK` is stored as it is
(py-key-value's layout, so either library reads what the other wrote). A name
that starts with ``MARK`` is stored as ``MARK + "="`` followed by the name; a
name whose stored form would be too long is stored as ``MARK + "#"`` and the
hex SHA-256 of the name (a *token*). The mapping is injective: a stored name
that does not start with ``MARK`` is the name itself, and one that does says
which of the two forms it is. The item of a token keeps the original name in
an attribute of its own (:data:`ORIGINAL_COLLECTION`, :data:`ORIGINAL_KEY`),
so enumeration returns the original names.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "COLLECTION_LIMIT",
    "KEY_LIMIT",
    "MARK",
    "ORIGINAL_COLLECTION",
    "ORIGINAL_KEY",
    "decode_name",
    "encode_name",
    "is_token",
]

MARK = "\x01"
"""First character of every name that is not stored as it is."""

COLLECTION_LIMIT = 2048
"""Most UTF-8 bytes of a partition key (the stored collection)."""

KEY_LIMIT = 1024
"""Most UTF-8 bytes of a sort key (the stored key)."""

ORIGINAL_COLLECTION = "kv_collection"
"""Attribute holding the original collection of an item whose collection is a token."""

ORIGINAL_KEY = "kv_key"
"""Attribute holding the original key of an item whose key is a token."""

_ESCAPED = MARK + "="
_TOKEN = MARK + "#"


def _fits(name: str, limit: int) -> bool:
    # A character takes at most 4 bytes: most names need no encoding to be measured.
    return len(name) * 4 <= limit or len(name.encode("utf-8")) <= limit


def encode_name(name: str, limit: int) -> str:
    """The stored form of ``name`` in a key attribute of at most ``limit`` bytes."""
    if not name.startswith(MARK):
        if _fits(name, limit):
            return name
    else:
        escaped = _ESCAPED + name
        if _fits(escaped, limit):
            return escaped
    return _TOKEN + hashlib.sha256(name.encode("utf-8")).hexdigest()


def is_token(stored: str) -> bool:
    """Whether a stored name stands for a longer name kept in the item."""
    return stored.startswith(_TOKEN)


def decode_name(stored: str) -> str | None:
    """The name a stored name stands for; ``None`` for a token (read the item's attribute)."""
    if not stored.startswith(MARK):
        return stored
    if stored.startswith(_ESCAPED):
        return stored[len(_ESCAPED) :]
    return None
