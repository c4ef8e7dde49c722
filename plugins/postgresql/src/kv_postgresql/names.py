"""Keys and collections in PostgreSQL ``TEXT`` columns, which cannot hold NUL
and, in the primary key's index, cannot be longer than about 2 700 bytes.

**NUL.** A name without NUL is stored as it is (py-key-value's layout),
unless it starts with ``\\x01``. A name that contains NUL or starts with
``\\x01`` is stored as ``\\x01`` followed by the name with ``%`` written
``%25`` and NUL written ``%00`` (:func:`encode_name`). The mapping is
reversible, so two different names never share a row and enumeration returns
the original names; only names that start with ``\\x01`` (which py-key-value
would store unchanged) are read differently.

**Length.** A btree index entry holds at most 2 704 bytes, and the primary
key ``(collection, key)`` indexes both names. So a pair whose stored names
take more than :data:`PAIR_LIMIT` bytes (UTF-8) together is stored with the
longer part replaced by a *token*: ``\\x01%#`` and the SHA-256 of the stored
name in hex (67 characters). An encoded name never has ``%#`` after its
``\\x01`` (every ``%`` is followed by ``25`` or ``00``), so a token never
equals a stored name. A collection is replaced when it alone is longer than
``PAIR_LIMIT`` minus a token (its stored form must not depend on the key);
a key when it does not fit beside its stored collection. The row of a
replaced name keeps the original in its value: ``{"c": collection, "k":
key, "v": value}`` (only the replaced names; see :func:`wrap_value`), so
enumeration still returns it, and it goes away with the row.

Pairs up to ``PAIR_LIMIT`` bytes are stored exactly as py-key-value stores
them; py-key-value cannot store longer (incompressible) pairs at all.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

__all__ = [
    "MARK",
    "PAIR_LIMIT",
    "TOKEN",
    "decode_name",
    "encode_name",
    "is_token",
    "stored_collection",
    "stored_key",
    "unwrap_value",
    "wrap_value",
]

MARK = "\x01"
"""First character of every encoded name."""

TOKEN = MARK + "%#"
"""First characters of a token standing for a long name."""

PAIR_LIMIT = 2600
"""Most UTF-8 bytes a stored collection and key take together in the primary
key (PostgreSQL's btree limit is 2 704 bytes per index entry, headers included)."""

_TOKEN_LENGTH = len(TOKEN) + 64
_COLLECTION_LIMIT = PAIR_LIMIT - _TOKEN_LENGTH
_ESCAPE = re.compile("%(25|00)")
_dumps = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def encode_name(name: str) -> str:
    """The text stored for ``name`` (``name`` itself unless it holds NUL or starts with MARK)."""
    if "\x00" not in name and not name.startswith(MARK):
        return name
    return MARK + name.replace("%", "%25").replace("\x00", "%00")


def _unescape(match: re.Match[str]) -> str:
    return "%" if match.group(1) == "25" else "\x00"


def decode_name(stored: str) -> str:
    """Invert :func:`encode_name`."""
    if not stored.startswith(MARK):
        return stored
    return _ESCAPE.sub(_unescape, stored[1:])


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _token(encoded: str) -> str:
    return TOKEN + hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()


def is_token(stored: str) -> bool:
    """Whether a stored name is a token standing for a long name."""
    return stored.startswith(TOKEN)


def stored_collection(collection: str) -> str:
    """The ``collection`` column's text for ``collection`` (encoded, or a token if too long)."""
    encoded = encode_name(collection)
    if len(encoded) * 4 > _COLLECTION_LIMIT and _size(encoded) > _COLLECTION_LIMIT:
        return _token(encoded)
    return encoded


def stored_key(key: str, collection: str) -> str:
    """The ``key`` column's text for ``key`` beside the stored ``collection``."""
    encoded = encode_name(key)
    if (len(encoded) + len(collection)) * 4 > PAIR_LIMIT and (
        _size(encoded) + _size(collection) > PAIR_LIMIT
    ):
        return _token(encoded)
    return encoded


def wrap_value(value_json: str, collection: str | None, key: str | None) -> str:
    """The ``value`` text of a row whose collection and/or key is a token.

    Args:
        value_json: The value's JSON.
        collection: The encoded collection if its column holds a token, else ``None``.
        key: The encoded key if its column holds a token, else ``None``.
    """
    parts = []
    if collection is not None:
        parts.append(f'"c":{_dumps(collection)}')
    if key is not None:
        parts.append(f'"k":{_dumps(key)}')
    parts.append(f'"v":{value_json}')
    return "{" + ",".join(parts) + "}"


def unwrap_value(text: str) -> dict[str, Any] | None:
    """The value in a :func:`wrap_value` text (``None`` if it is not one)."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    value = document.get("v") if isinstance(document, dict) else None
    return value if isinstance(value, dict) else None
