"""Where an entry lives in Vault: the secret's name for a collection and key.

py-key-value's VaultStore keeps an entry at the secret ``collection::key`` at
the top of the mount. kv does the same for names Vault paths hold plainly:
letters, digits, ``_``, ``-``, ``.``, ``~`` and ``@`` (and ``:`` in keys), so
each library reads the other's entries. Every other character (``/``, which
would open a folder, ``%``, ``?``, white space, control characters, anything
beyond ASCII) is written as ``%XX`` per UTF-8 byte: the name is reversible,
and a collection never holds ``:``, so the first ``::`` always separates
collection and key. A part whose encoding is long (over
:data:`MAX_COLLECTION_PART` / :data:`MAX_KEY_PART` characters) is replaced by
``%~`` and a hash (no encoding starts that way); the original names are in
the stored document, where listing reads them.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple
from urllib.parse import quote, unquote

__all__ = [
    "HASHED",
    "MAX_COLLECTION_PART",
    "MAX_KEY_PART",
    "SEPARATOR",
    "Layout",
    "SecretName",
    "encode_collection",
    "encode_key",
    "parse_secret_name",
    "secret_name",
]

SEPARATOR = "::"
HASHED = "%~"
"""How a hashed part starts (``quote`` never writes ``%`` before anything but two hex digits)."""
MAX_COLLECTION_PART = 100
MAX_KEY_PART = 150
"""Longest encoded parts kept as they are: a secret's name stays within the
255 bytes file systems allow one path component (Vault's file storage)."""

_COLLECTION_SAFE = "-_.~@"
_KEY_SAFE = "-_.~@:"


def _part(name: str, safe: str, longest: int) -> str:
    encoded = quote(name, safe=safe)
    if len(encoded) <= longest:
        return encoded
    return HASHED + hashlib.sha256(name.encode("utf-8")).hexdigest()[:40]


def encode_collection(collection: str) -> str:
    """The collection's part of a secret name."""
    return _part(collection, _COLLECTION_SAFE, MAX_COLLECTION_PART)


def encode_key(key: str) -> str:
    """The key's part of a secret name."""
    return _part(key, _KEY_SAFE, MAX_KEY_PART)


def secret_name(collection: str, key: str) -> str:
    """The secret name of ``(collection, key)``: ``collection::key`` for plain names."""
    return f"{encode_collection(collection)}{SEPARATOR}{encode_key(key)}"


class SecretName(NamedTuple):
    """A secret name found by listing a folder, split into its parts.

    Attributes:
        name: The secret's name as listed.
        collection_part: The encoded (or hashed) collection.
        collection: The collection, or ``None`` if its part is hashed (the
            stored document names it).
        key: The key, or ``None`` if its part is hashed.
    """

    name: str
    collection_part: str
    collection: str | None
    key: str | None


def _decode(part: str, encode: str) -> str | None:
    """The name ``part`` encodes; ``None`` for a hashed part.

    Raises:
        ValueError: ``part`` is not what kv writes for any name.
    """
    if part.startswith(HASHED):
        return None
    name = unquote(part, errors="strict")
    # Only the one encoding kv writes counts: a secret named "a b::c" (written
    # by another program) is not the entry ("a b", "c"), which lives at "a%20b::c".
    again = encode_collection(name) if encode == "collection" else encode_key(name)
    if again != part:
        raise ValueError("not kv's encoding")
    return name


def parse_secret_name(name: str) -> SecretName | None:
    """Split a listed secret name; ``None`` for a folder (``x/``) or a secret that is
    not an entry (no ``::``, or not kv's encoding of its names)."""
    if name.endswith("/"):
        return None
    collection_part, separator, key_part = name.partition(SEPARATOR)
    if not separator or not collection_part or not key_part:
        return None
    try:
        collection = _decode(collection_part, "collection")
        key = _decode(key_part, "key")
    except (ValueError, UnicodeDecodeError):
        return None
    return SecretName(name, collection_part, collection, key)


class Layout:
    """The paths of one store's secrets: its mount and the folder inside it.

    Args:
        mount: The KV version 2 engine's mount path.
        prefix: The folder holding the store's secrets (``""``: the mount's top).
    """

    __slots__ = ("folder", "mount")

    def __init__(self, mount: str, prefix: str) -> None:
        self.mount = mount
        self.folder = f"{prefix}/" if prefix else ""
        """The folder to list (``""`` or ``"a/b/"``)."""

    def __repr__(self) -> str:
        return f"Layout(mount={self.mount!r}, folder={self.folder!r})"

    def path(self, collection: str, key: str) -> str:
        """The secret path (inside the mount) of ``(collection, key)``."""
        return self.folder + secret_name(collection, key)

    def path_of(self, name: str) -> str:
        """The secret path of a name listed in :attr:`folder`."""
        return self.folder + name
