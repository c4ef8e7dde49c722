"""Collections and keys as PartitionKey and RowKey values, reversibly.

Azure Tables refuses ``/ \\ # ?`` and the control characters (U+0000 to
U+001F and U+007F to U+009F) in PartitionKey and RowKey, and takes at most
1 KiB of each (512 UTF-16 code units). A name is stored:

* as it is, when it holds none of those characters, does not start with
  ``~`` and is at most 512 UTF-16 code units long: py-key-value's layout
  (it stores names unchanged), so what it wrote is found;
* escaped, ``~`` followed by the name with each of those characters and
  ``~`` itself written ``~XX`` (two hex digits of the code point), when that
  is at most 512 code units long;
* otherwise hashed: ``~~~`` and the SHA-256 of the name's UTF-8, in hex. The
  entity then keeps the original name in a property (and always in its
  document), where listing reads it back.

The three forms cannot meet: a plain name never starts with ``~``, an escaped
one never with ``~~~`` (each ``~`` that escaping writes is followed by two hex
digits), and escaping is injective. Names that py-key-value stored as they are but that
start with ``~`` are the one thing kv reads differently.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["HASHED", "MAX_LENGTH", "decode_name", "encode_name", "hash_name", "is_hashed", "quote"]

MAX_LENGTH = 512
"""Most UTF-16 code units a PartitionKey or RowKey holds (1 KiB)."""

HASHED = "~~~"
"""The prefix of a hashed name."""

_ESCAPE = "~"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f/\\#?~]")
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f/\\#?]")
_ESCAPED = re.compile(r"~([0-9A-F]{2})")


def _units(name: str) -> int:
    """Length in UTF-16 code units (characters outside the BMP count twice)."""
    if name.isascii():
        return len(name)
    return len(name.encode("utf-16-le")) // 2


def _escape(match: re.Match[str]) -> str:
    return f"~{ord(match.group()):02X}"


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def encode_name(name: str) -> str:
    """The PartitionKey or RowKey that stores ``name`` (see the module docstring)."""
    if not name.startswith(_ESCAPE) and _FORBIDDEN.search(name) is None:
        if _units(name) <= MAX_LENGTH:
            return name
        return hash_name(name)
    escaped = _ESCAPE + _UNSAFE.sub(_escape, name)
    if _units(escaped) <= MAX_LENGTH:
        return escaped
    return hash_name(name)


def hash_name(name: str) -> str:
    """The hashed form of ``name``: ``~~~`` and the hex SHA-256 of its UTF-8."""
    return HASHED + hashlib.sha256(name.encode("utf-8")).hexdigest()


def is_hashed(stored: str) -> bool:
    """Whether a stored PartitionKey or RowKey is a hash (its entity names the original)."""
    return stored.startswith(HASHED)


def decode_name(stored: str) -> str:
    """The name a plain or escaped PartitionKey or RowKey stores (not for hashed ones)."""
    if not stored.startswith(_ESCAPE):
        return stored
    return _ESCAPED.sub(_unescape, stored[1:])


def quote(text: str) -> str:
    """``text`` as an OData string literal of a query filter (``'`` doubled)."""
    return "'" + text.replace("'", "''") + "'"
