"""Keyring usernames for entries, index entries and chunks.

Every entry of a store lives in the keyring under the store's *service* and a
*username* made from its collection and key:

* ``{collection}::{key}`` for names made of lower-case ASCII letters, digits
  and ``_ - . /``, which is exactly the username py-key-value's KeyringStore
  writes for such names, so either library reads what the other wrote;
* every other character is escaped as ``%XX`` per UTF-8 byte, upper-case
  letters included. Several keyring backends compare usernames without
  regard to case (Windows Credential Manager, the keyrings.alt file
  backends), so ``"A"`` and ``"a"`` must not map to usernames that differ only
  in case. The escaped form is unambiguous even when case is ignored, and a
  collection never contains ``:``, so the first ``::`` is the separator;
* a part whose escaped form is too long becomes :func:`kv.names.hashed_name`
  (``~`` and 63 hex digits), so a username stays under about 250 characters,
  well within every platform's limit (Windows: 513).

Names are never lost: the stored document carries the original collection
and key, and the index (see :mod:`kv_keyring.index`) lists them.

The store's own bookkeeping uses usernames with no ``::``, which no entry
(kv's or py-key-value's) can have: ``kv:collections`` (the list of
collections), ``kv:index:{collection}`` (the keys of one collection) and
``kv:chunk:{generation}:{n}`` (pieces of a value split across entries).
"""

from __future__ import annotations

import re

from kv.names import hashed_name

__all__ = [
    "CHUNK_PREFIX",
    "MAX_COLLECTION_PART",
    "MAX_KEY_PART",
    "ROOT_USERNAME",
    "chunk_username",
    "collection_part",
    "entry_username",
    "escape_name",
    "index_username",
    "legacy_username",
    "unescape_name",
]

MAX_COLLECTION_PART = 96
"""Longest escaped collection kept readable; longer ones are hashed."""

MAX_KEY_PART = 150
"""Longest escaped key kept readable; longer ones are hashed."""

ROOT_USERNAME = "kv:collections"
"""Username of the list of collections that hold entries."""

CHUNK_PREFIX = "kv:chunk:"
"""Prefix of the usernames of the pieces of a split value."""

_UNSAFE = re.compile(r"[^a-z0-9_./\-]+")
_ESCAPED = re.compile(r"(?:%[0-9A-F]{2})+")
_MAX_LEGACY_LENGTH = 512


def _escape_run(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def escape_name(name: str) -> str:
    """``name`` with every character outside ``a-z 0-9 _ . / -`` escaped as ``%XX``.

    The result is unique even when compared without regard to case, contains
    no ``:``, no ``~`` and no control character.
    """
    return _UNSAFE.sub(_escape_run, name)


def unescape_name(escaped: str) -> str:
    """Invert :func:`escape_name`."""

    def _unescape(match: re.Match[str]) -> str:
        return bytes.fromhex(match.group().replace("%", "")).decode("utf-8")

    return _ESCAPED.sub(_unescape, escaped)


def _part(name: str, limit: int) -> str:
    escaped = escape_name(name)
    if len(escaped) > limit:
        return hashed_name(name)
    return escaped


def collection_part(collection: str) -> str:
    """The collection as it appears in usernames."""
    return _part(collection, MAX_COLLECTION_PART)


def entry_username(collection: str, key: str) -> str:
    """The username of the entry ``(collection, key)``."""
    return f"{_part(collection, MAX_COLLECTION_PART)}::{_part(key, MAX_KEY_PART)}"


def legacy_username(collection: str, key: str) -> str | None:
    """py-key-value's username for ``(collection, key)``, if kv's differs.

    py-key-value joins the names unchanged (``collection::key``). kv looks an
    entry up there when it is not found under its own username, and accepts
    it only if the document names the same collection and key. ``None`` when
    the usernames agree, or when the plain form could not have been written
    (control characters, or too long for a keyring username).
    """
    plain = f"{collection}::{key}"
    if len(plain) > _MAX_LEGACY_LENGTH or not plain.isprintable():
        return None
    if plain == entry_username(collection, key):
        return None
    return plain


def index_username(collection: str) -> str:
    """The username of the index of ``collection``."""
    return f"kv:index:{collection_part(collection)}"


def chunk_username(generation: str, number: int) -> str:
    """The username of piece ``number`` of the value written as ``generation``."""
    return f"{CHUNK_PREFIX}{generation}:{number}"
