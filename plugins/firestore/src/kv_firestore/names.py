"""Keys and collections as Firestore document and collection ids, reversibly.

Firestore refuses an id that contains ``/``, is ``.`` or ``..``, matches
``__.*__`` or is longer than 1,500 bytes. Every other name is used as it is
(so py-key-value's documents, which use the names unchanged, are found);
``%`` is escaped too, so :func:`decode_id` can invert the mapping:

* ``%`` becomes ``%25`` and ``/`` ``%2F``;
* a leading ``.`` of ``.``/``..`` becomes ``%2E``, a leading ``_`` of
  ``__x__`` becomes ``%5F``;
* a name whose id would exceed 1,500 bytes becomes ``%H`` plus the hex SHA-256
  of the name: not reversible, so the store keeps the original names in each
  document (fields ``key`` and ``collection``).
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["MAX_ID_BYTES", "decode_id", "encode_id", "is_hashed"]

MAX_ID_BYTES = 1500
"""The longest document or collection id Firestore accepts, in UTF-8 bytes."""

_HASHED = "%H"
_ESCAPES = re.compile(r"%([0-9A-F]{2})")


def _reserved(name: str) -> bool:
    return name in (".", "..") or (len(name) >= 4 and name[:2] == "__" and name[-2:] == "__")


def encode_id(name: str) -> str:
    """The id under which ``name`` is stored (``name`` itself whenever Firestore allows)."""
    encoded = name.replace("%", "%25").replace("/", "%2F")
    if _reserved(encoded):
        encoded = ("%2E" if encoded[0] == "." else "%5F") + encoded[1:]
    if len(encoded) * 4 > MAX_ID_BYTES and len(encoded.encode("utf-8")) > MAX_ID_BYTES:
        return _HASHED + hashlib.sha256(name.encode("utf-8")).hexdigest()
    return encoded


def is_hashed(stored: str) -> bool:
    """Whether ``stored`` is the hash of a name too long for an id."""
    return stored.startswith(_HASHED)


def decode_id(stored: str) -> str:
    """The name stored under the id ``stored`` (the id itself if it was not escaped).

    A hashed id (:func:`is_hashed`) is returned unchanged: the original name
    is in the document.
    """
    if "%" not in stored or is_hashed(stored):
        return stored
    return _ESCAPES.sub(lambda match: chr(int(match.group(1), 16)), stored)
