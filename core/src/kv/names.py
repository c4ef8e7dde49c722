"""The key and collection rule, and how names are mapped onto backends.

A key or collection is any non-empty ``str`` that encodes as UTF-8: NUL, ``/``,
``..``, ``::``, very long names and every script are allowed. The keys of a
bulk call are a sequence (list or tuple) of keys: a single ``str`` or
``bytes`` is refused, not read as one-character keys.
``collection=None`` means the store's default collection.

Two different ``(collection, key)`` pairs must never share storage. Stores
that flatten both names into one string use :func:`compound_key`, which escapes
the collection so that the first ``::`` is always the separator. For a
collection without ``:`` or ``%`` the result is ``"collection::key"``, the
layout py-key-value uses, so data it wrote stays readable.

Backends that cannot hold every name (file names, length limits) use
:func:`encode_path_segment` or :func:`hashed_name`, and keep the original
names inside the stored document so enumeration returns them unchanged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from kv.errors import ArgumentTypeError, InvalidKeyError

__all__ = [
    "COMPOUND_SEPARATOR",
    "DEFAULT_COLLECTION",
    "compound_key",
    "compound_prefix",
    "decode_path_segment",
    "encode_path_segment",
    "hashed_name",
    "split_compound_key",
    "validate_collection",
    "validate_key",
    "validate_keys",
]

DEFAULT_COLLECTION = "default_collection"
"""The default collection name, the same as py-key-value's."""

COMPOUND_SEPARATOR = "::"


def _check_name(name: object, what: str) -> str:
    if type(name) is not str:
        if not isinstance(name, str):
            raise InvalidKeyError(f"A {what} must be a str, not {type(name).__name__}")
        name = str(name)
    if not name:
        raise InvalidKeyError(f"A {what} must not be empty")
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidKeyError(
                f"A {what} must encode as UTF-8 (it contains a lone surrogate)"
            ) from None
    return name


def validate_key(key: object) -> str:
    """Return ``key`` if it is a valid key, else raise :class:`InvalidKeyError`."""
    if type(key) is str and key and key.isascii():
        return key
    return _check_name(key, "key")


def validate_collection(collection: object) -> str:
    """Return ``collection`` if valid, else raise :class:`InvalidKeyError`."""
    if type(collection) is str and collection and collection.isascii():
        return collection
    return _check_name(collection, "collection")


_NOT_KEY_SEQUENCES = (str, bytes, bytearray, memoryview)


def validate_keys(keys: object, *, name: str = "keys") -> Sequence[str]:
    """Return ``keys`` if it is a valid argument of a bulk call.

    ``keys`` must be a sequence (a ``list`` or ``tuple``, typically) of valid
    keys. A single ``str`` or ``bytes`` is refused rather than taken as a
    sequence of one-character keys.

    Raises:
        ArgumentTypeError: ``keys`` is a ``str``, ``bytes`` or not a sequence.
        InvalidKeyError: one of the keys breaks the key rule.
    """
    if (
        type(keys) is not list
        and type(keys) is not tuple
        and (isinstance(keys, _NOT_KEY_SEQUENCES) or not isinstance(keys, Sequence))
    ):
        raise ArgumentTypeError(
            f"{name} must be a sequence (a list or tuple) of str keys, not a"
            f" {type(keys).__name__}; put a single key in a list"
        )
    for key in keys:
        if type(key) is not str or not key or not key.isascii():
            _check_name(key, "key")
    return keys


def _escape_collection(collection: str) -> str:
    if ":" not in collection and "%" not in collection:
        return collection
    return collection.replace("%", "%25").replace(":", "%3A")


def compound_key(collection: str, key: str) -> str:
    """Join a collection and key into one unambiguous string.

    ``compound_key("a::b", "c") != compound_key("a", "b::c")``: the collection
    is escaped (``%`` to ``%25``, ``:`` to ``%3A``) so it never contains the
    separator. Collections without those characters are left as they are.
    """
    return f"{_escape_collection(collection)}{COMPOUND_SEPARATOR}{key}"


def compound_prefix(collection: str) -> str:
    """The prefix every :func:`compound_key` of ``collection`` starts with."""
    return f"{_escape_collection(collection)}{COMPOUND_SEPARATOR}"


def split_compound_key(compound: str) -> tuple[str, str]:
    """Invert :func:`compound_key`.

    Raises:
        ValueError: ``compound`` was not made by :func:`compound_key`.
    """
    collection, separator, key = compound.partition(COMPOUND_SEPARATOR)
    if not separator:
        raise ValueError(f"{compound!r} is not a compound key")
    if "%" in collection:
        collection = collection.replace("%3A", ":").replace("%25", "%")
    return collection, key


_UNSAFE_IN_PATH = re.compile(r"[^A-Za-z0-9_\-]")


def encode_path_segment(name: str, *, max_length: int = 200) -> str:
    """Map any name to a safe, unique file or directory name.

    Letters, digits, ``_`` and ``-`` are kept; every other character becomes
    ``.XX`` per UTF-8 byte (``.`` itself is therefore never used unescaped, so
    ``.`` and ``..`` cannot occur). The mapping is reversible with
    :func:`decode_path_segment`. Names whose encoding is longer than
    ``max_length`` are replaced by :func:`hashed_name`, which is not
    reversible: the store must keep the original name in the entry.
    """

    def _escape(match: re.Match[str]) -> str:
        return "".join(f".{byte:02X}" for byte in match.group().encode("utf-8"))

    encoded = _UNSAFE_IN_PATH.sub(_escape, name)
    if len(encoded) > max_length:
        return hashed_name(name)
    return encoded


_ESCAPED_BYTES = re.compile(r"(?:\.[0-9A-F]{2})+")


def decode_path_segment(segment: str) -> str | None:
    """Invert :func:`encode_path_segment`; ``None`` for a hashed name."""
    if segment.startswith("~"):
        return None

    def _unescape(match: re.Match[str]) -> str:
        raw = bytes(int(part, 16) for part in match.group().split(".")[1:])
        return raw.decode("utf-8")

    return _ESCAPED_BYTES.sub(_unescape, segment)


def hashed_name(name: str, *, length: int = 64) -> str:
    """A fixed-length name for ``name``: ``~`` plus hex SHA-256, cut to ``length``."""
    return "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[: length - 1]


def declared_default_collection(store: object) -> str | None:
    """The collection ``store`` uses for ``collection=None``, if it says (else ``None``).

    Read from the store's ``default_collection`` attribute; wrappers without
    one are looked through (their ``key_value``).
    """
    for _ in range(100):
        name = getattr(store, "default_collection", None)
        if isinstance(name, str) and name:
            return name
        inner = getattr(store, "key_value", None)
        if inner is None or inner is store:
            break
        store = inner
    return None
