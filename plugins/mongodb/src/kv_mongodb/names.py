"""kv collections as MongoDB collection names.

A MongoDB collection name must not be empty, hold ``$`` or NUL, or start with
``system.``, and its namespace (``database.collection``) is limited to 255
bytes. A kv collection of letters, digits, ``_`` and ``-`` (up to
:data:`MAX_NAME` characters) is used as it is, py-key-value's layout, so
either library reads what the other wrote; any other is escaped reversibly
with :func:`kv.names.encode_path_segment` (``.XX`` per byte) after a ``%``, and one whose
escape is too long becomes :func:`kv.names.hashed_name` (``~`` and hex), whose
documents keep the original in their ``collection`` field. Keys need no
mapping: a BSON string holds any text.

The three forms never meet: a name used as it is has no ``.``, ``%`` or ``~``;
an escaped one is ``%`` and the escape (MongoDB refuses a name that starts
with ``.``); a hashed one starts with ``~``.
"""

from __future__ import annotations

from kv.names import decode_path_segment, encode_path_segment

__all__ = ["ESCAPED", "HASHED", "MAX_NAME", "collection_name", "decode_collection"]

ESCAPED = "%"
"""First character of an escaped name (MongoDB refuses one that starts with ``.``)."""

HASHED = "~"
"""First character of a hashed name (:func:`kv.names.hashed_name`)."""

MAX_NAME = 120
"""Longest MongoDB collection name the store makes (with a 63-byte database
name, the namespace stays well under MongoDB's 255 bytes)."""


def collection_name(collection: str) -> str:
    """The MongoDB collection that holds ``collection``'s entries."""
    encoded = encode_path_segment(collection, max_length=MAX_NAME - 1)
    if encoded == collection or encoded.startswith(HASHED):
        return encoded
    return ESCAPED + encoded


def decode_collection(name: str) -> str | None:
    """The kv collection a MongoDB collection name stands for; ``None`` for a hashed
    name (its documents' ``collection`` field has it) or a MongoDB system collection."""
    if name.startswith(("system.", HASHED)):
        return None
    if not name.startswith(ESCAPED):
        return name
    try:
        return decode_path_segment(name[len(ESCAPED) :])
    except UnicodeDecodeError:  # not kv's escape (a collection another program made)
        return name
