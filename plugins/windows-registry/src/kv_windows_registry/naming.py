"""Registry names for collections and keys.

The store keeps collection ``C`` as the registry key ``{root}\\{name of C}``
and key ``K`` as a ``REG_SZ`` value named ``{name of K}`` in it, the layout of
py-key-value's WindowsRegistryStore. Registry names are compared without
regard to case and a key name cannot contain ``\\``, so names are mapped:

* lower-case ASCII letters, digits and ``_ - . /`` are kept, so names made of
  them are exactly py-key-value's and data either library wrote is shared;
* every other character (upper-case letters included) becomes ``%XX`` per
  UTF-8 byte, a form that stays unique when case is ignored; a name made
  only of dots is escaped whole;
* a name whose escaped form is longer than 96 characters (collections, as
  py-key-value's sanitizing strategy) or 255 (keys) becomes
  :func:`kv.names.hashed_name` (``~`` and 63 hex digits).

Original names are never lost: every document carries them, and a
collection key made by kv holds its original name in its default value.
"""

from __future__ import annotations

import re

from kv.names import hashed_name

__all__ = [
    "MAX_COLLECTION_NAME",
    "MAX_VALUE_NAME",
    "collection_name",
    "escape_name",
    "legacy_collection_name",
    "legacy_value_name",
    "unescape_name",
    "value_name",
]

MAX_COLLECTION_NAME = 96
"""Longest escaped collection kept readable (a registry key name takes 255)."""

MAX_VALUE_NAME = 255
"""Longest escaped key kept readable (a registry value name takes 16 383)."""

_UNSAFE = re.compile(r"[^a-z0-9_./\-]+")
_ESCAPED = re.compile(r"(?:%[0-9A-F]{2})+")
_ONLY_DOTS = re.compile(r"\.+")


def _escape_run(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def escape_name(name: str) -> str:
    """``name`` with every character outside ``a-z 0-9 _ . / -`` escaped as ``%XX``.

    Unique when compared without regard to case; never contains ``\\``, ``~``,
    a control character, or only dots.
    """
    if _ONLY_DOTS.fullmatch(name):
        return "%2E" * len(name)
    return _UNSAFE.sub(_escape_run, name)


def unescape_name(escaped: str) -> str | None:
    """Invert :func:`escape_name`; ``None`` for a hashed name."""
    if escaped.startswith("~"):
        return None

    def _unescape(match: re.Match[str]) -> str:
        return bytes.fromhex(match.group().replace("%", "")).decode("utf-8")

    try:
        return _ESCAPED.sub(_unescape, escaped)
    except UnicodeDecodeError:
        return None


def _mapped(name: str, limit: int) -> str:
    escaped = escape_name(name)
    return hashed_name(name) if len(escaped) > limit else escaped


def collection_name(collection: str) -> str:
    """The registry key name of ``collection`` (under the store's root key)."""
    return _mapped(collection, MAX_COLLECTION_NAME)


def value_name(key: str) -> str:
    """The registry value name of ``key``."""
    return _mapped(key, MAX_VALUE_NAME)


def legacy_collection_name(collection: str) -> str | None:
    """py-key-value's key name for ``collection`` (unchanged), if it is a usable one."""
    if "\\" in collection or len(collection) > 255 or not collection.isprintable():
        return None
    return collection


def legacy_value_name(key: str) -> str | None:
    """py-key-value's value name for ``key`` (unchanged), if it is a usable one."""
    if len(key) > 16_383 or not key.isprintable():
        return None
    return key
