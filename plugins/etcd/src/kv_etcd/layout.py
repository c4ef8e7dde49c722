"""Where an entry lives in etcd, and what its value is.

Every entry is one etcd key, ``PREFIX/COLLECTION/KEY`` in UTF-8:

* the collection is escaped (``%`` as ``%25``, ``/`` as ``%2F``), so the first
  ``/`` after the prefix always ends it: a collection's keys are one range
  (``PREFIX/COLLECTION/`` to its end), and no two ``(collection, key)`` pairs
  share an etcd key (``("a/b", "c")`` is ``PREFIX/a%2Fb/c``, ``("a", "b/c")``
  is ``PREFIX/a/b/c``);
* the key is kept as it is (etcd keys are bytes: NUL, ``/``, any length up to
  the request limit), so a listing returns it unchanged.

The value is kv's JSON entry document (:func:`kv.entry.encode_document`:
the value, ``created_at``, ``expires_at`` and the names, py-key-value's
``ManagedEntry`` form). UTF-8 byte order is code point order, so etcd's key
order is the order of the names.
"""

from __future__ import annotations

import re

from kv.entry import StoredEntry, decode_document, encode_document
from kv.errors import DeserializationError

__all__ = ["Layout", "entry_of", "expiry_of", "range_end", "value_of"]

_ESCAPED = re.compile(r"%(25|2F)")
_UNESCAPE = {"25": "%", "2F": "/"}


def range_end(prefix: bytes) -> bytes:
    """The first key after every key that starts with ``prefix`` (etcd's range end)."""
    raw = bytearray(prefix)
    while raw:
        if raw[-1] < 0xFF:
            raw[-1] += 1
            return bytes(raw)
        raw.pop()
    return b"\x00"  # every key


class Layout:
    """The etcd keys of one store's entries, under ``prefix/``."""

    def __init__(self, prefix: str) -> None:
        self.root = f"{prefix}/".encode()
        """Every key of the store starts with this."""

    def collection(self, collection: str) -> bytes:
        """The prefix of every key of ``collection``."""
        escaped = collection.replace("%", "%25").replace("/", "%2F")
        return self.root + escaped.encode() + b"/"

    def key(self, collection: str, key: str) -> bytes:
        """The etcd key of ``(collection, key)``."""
        return self.collection(collection) + key.encode()

    def name_of_collection(self, etcd_key: bytes) -> tuple[str, bytes] | None:
        """The collection an etcd key of this store belongs to, and that collection's
        prefix (``None`` for a key that is not an entry's)."""
        rest = etcd_key[len(self.root) :]
        slash = rest.find(b"/")
        if not etcd_key.startswith(self.root) or slash <= 0:
            return None
        segment = rest[:slash].decode("utf-8", "replace")
        name = _ESCAPED.sub(lambda match: _UNESCAPE[match.group(1)], segment)
        return name, etcd_key[: len(self.root) + slash + 1]


def value_of(entry: StoredEntry, collection: str, key: str) -> bytes:
    """The etcd value of an entry: kv's JSON document."""
    return encode_document(entry, collection=collection, key=key).encode()


def entry_of(value: bytes, key: str) -> StoredEntry:
    """The entry an etcd value holds.

    Raises:
        DeserializationError: the value is not an entry document, naming ``key``.
    """
    try:
        return decode_document(value)
    except DeserializationError as error:
        error.add_context(key=key)
        raise


def expiry_of(value: bytes) -> float | None:
    """The expiry of a stored document; ``None`` if it has none, or cannot be read
    (a damaged entry counts as live: reading it reports the damage)."""
    try:
        return decode_document(value).expires_at if value else None
    except DeserializationError:
        return None
