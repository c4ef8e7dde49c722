"""Keys and collections in PostgreSQL ``TEXT`` columns, which cannot hold NUL.

A name without NUL is stored as it is (py-key-value's layout), unless it
starts with ``\\x01``. A name that contains NUL or starts with ``\\x01`` is
stored as ``\\x01`` followed by the name with ``%`` written ``%25`` and NUL
written ``%00``. The mapping is reversible, so two different names never share
a row and enumeration returns the original names; only names that start with
``\\x01`` (which py-key-value would store unchanged) are read differently.
"""

from __future__ import annotations

import re

__all__ = ["MARK", "decode_name", "encode_name"]

MARK = "\x01"
"""First character of every encoded name."""

_ESCAPE = re.compile("%(25|00)")


def encode_name(name: str) -> str:
    """The text stored for ``name`` (``name`` itself unless it holds NUL or starts with MARK)."""
    if "\x00" not in name and not name.startswith(MARK):
        return name
    return MARK + name.replace("%", "%25").replace("\x00", "%00")


def _unescape(match: re.Match[str]) -> str:
    return "%" if match.group(1) == "25" else "\x00"


def decode_name(stored: str) -> str:
    """Invert :func:`encode_name`."""
    if not stored.startswith(MARK):
        return stored
    return _ESCAPE.sub(_unescape, stored[1:])
