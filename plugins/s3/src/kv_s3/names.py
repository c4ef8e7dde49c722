"""Object keys of entries: ``{prefix}{collection}/{key}``, py-key-value's layout.

An S3 object key is up to 1,024 bytes of UTF-8 and may hold any character,
but a name must still come back whole from a listing and survive the HTTP
path it travels in. So a name is stored **as it is** when it is made of
printable characters other than ``%``, does not start with ``~``, and (for a
collection) holds no ``/``, or (for a key) has no empty, ``.`` or ``..``
segment between its ``/``: that is py-key-value's S3Store layout, so what it
wrote under such names is kv's too. Any other name is **percent-encoded**
(UTF-8 bytes as ``%XX``, ``/`` and ``~`` included; a name ``.`` or ``..``
has its dots encoded), which :func:`decode_segment` reverses, since a name
stored as it is holds no ``%``. A segment that would not fit (collections
over :data:`MAX_COLLECTION_BYTES`, keys over what the collection and prefix
leave of 1,024 bytes) is replaced by :func:`kv.names.hashed_name` (``~`` and
63 hex digits); the stored document keeps the original names for listings.
"""

from __future__ import annotations

from urllib.parse import unquote

from kv.names import hashed_name

__all__ = [
    "MAX_COLLECTION_BYTES",
    "MAX_OBJECT_KEY_BYTES",
    "collection_segment",
    "decode_segment",
    "is_hashed",
    "key_segment",
]

MAX_OBJECT_KEY_BYTES = 1024
"""S3's limit on an object key, in bytes of UTF-8."""

MAX_COLLECTION_BYTES = 500
"""Longest stored collection segment (py-key-value's S3 sanitizer also keeps 500)."""

_HASH = "~"


def _plain(name: str, *, slashes: bool) -> bool:
    """Whether ``name`` can be stored as it is (see the module's documentation)."""
    if "%" in name or name.startswith(_HASH) or not name.isprintable():
        return False
    if not slashes:
        return "/" not in name and name not in (".", "..")
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _escape(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def _encoded(name: str) -> str:
    """``name`` percent-encoded: everything but printable characters other than
    ``%``, ``/`` and ``~``; a name of dots alone gets its dots encoded too."""
    if name.strip(".") == "":
        return name.replace(".", "%2E")
    return "".join(
        char if char.isprintable() and char not in "%/~" else _escape(char) for char in name
    )


def _segment(name: str, *, slashes: bool, limit: int) -> str:
    stored = name if _plain(name, slashes=slashes) else _encoded(name)
    if len(stored.encode("utf-8")) > limit:
        return hashed_name(name)
    return stored


def collection_segment(collection: str) -> str:
    """The collection's part of its object keys (never holds ``/``)."""
    return _segment(collection, slashes=False, limit=MAX_COLLECTION_BYTES)


def key_segment(key: str, head: str) -> str:
    """The key's part of its object key, after ``head`` (``{prefix}{collection}/``)."""
    room = MAX_OBJECT_KEY_BYTES - len(head.encode("utf-8"))
    return _segment(key, slashes=True, limit=room)


def is_hashed(segment: str) -> bool:
    """Whether a stored segment is a hash (its name is only in the document)."""
    return segment.startswith(_HASH)


def decode_segment(segment: str) -> str:
    """The name a stored (not hashed) segment stands for."""
    return unquote(segment, errors="strict") if "%" in segment else segment
