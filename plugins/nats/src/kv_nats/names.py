"""How collections and keys become NATS key-value keys, and back.

A NATS key-value key may hold only ``[-/_=.a-zA-Z0-9]``, and ``.`` separates
the tokens of its subject. An entry's key is ``<collection>.<key>``, each name
one token: letters, digits, ``-``, ``_`` and ``/`` stay as they are, and every
other UTF-8 byte becomes ``=XX`` (upper-case hex), so ``.``, ``=``, ``*``,
``>``, white space and every script are escaped and the mapping is
reversible. A token whose encoding is longer than its limit (a subject must
fit nats-server's 4 KiB protocol line) is ``==`` plus a SHA-256 digest instead;
the entry then carries its original names in headers (:data:`COLLECTION_HEADER`,
:data:`KEY_HEADER`) and in its JSON document, and listings read them there.
"""

from __future__ import annotations

import hashlib
import json
import re

__all__ = [
    "COLLECTION_HEADER",
    "COLLECTION_LIMIT",
    "KEY_HEADER",
    "KEY_LIMIT",
    "decode_token",
    "encode_token",
    "header_name",
    "is_hashed",
]

COLLECTION_LIMIT = 256
"""Longest collection token; longer encodings are hashed."""

KEY_LIMIT = 1024
"""Longest key token; longer encodings are hashed."""

COLLECTION_HEADER = "Kv-Collection"
"""Header holding the original collection (JSON text) of an entry with a hashed token."""

KEY_HEADER = "Kv-Key"
"""Header holding the original key (JSON text) of an entry with a hashed token."""

_HASHED = "=="
_UNSAFE = re.compile(r"[^A-Za-z0-9_/\-]+")
_ESCAPED = re.compile(r"(?:=[0-9A-F]{2})+")


def _escape(match: re.Match[str]) -> str:
    return "".join(f"={byte:02X}" for byte in match.group().encode("utf-8"))


def _unescape(match: re.Match[str]) -> str:
    return bytes.fromhex(match.group().replace("=", "")).decode("utf-8")


def encode_token(name: str, limit: int) -> str:
    """The subject token of ``name`` (escaped, or hashed when longer than ``limit``)."""
    token = _UNSAFE.sub(_escape, name)
    if len(token) <= limit:
        return token
    return _HASHED + hashlib.sha256(name.encode("utf-8")).hexdigest()


def is_hashed(token: str) -> bool:
    """Whether ``token`` is a digest (its name is kept in the entry's headers)."""
    return token.startswith(_HASHED)


def decode_token(token: str) -> str | None:
    """The name an escaped token stands for (a token kv did not make, as it is);
    ``None`` for a hashed one."""
    if is_hashed(token):
        return None
    try:
        return _ESCAPED.sub(_unescape, token)
    except UnicodeDecodeError:  # escapes that are not UTF-8: another client's key
        return token


def header_name(name: str) -> str:
    """A name as a header value: JSON text in ASCII (no line breaks)."""
    return json.dumps(name, ensure_ascii=True)
