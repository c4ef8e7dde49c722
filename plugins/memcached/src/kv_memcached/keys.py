"""Memcached keys and expiry times for kv entries.

Keys: the UTF-8 bytes of ``compound_key(collection, key)``
(``"collection::key"`` for plain collections), the layout py-key-value's
MemcachedStore uses, so what it wrote stays readable. Memcached keys are at
most 250 bytes and may not contain whitespace or control characters; a
compound key that is longer or contains such a character is replaced by
``hashed_name(compound)`` (``~`` and 63 hex digits of its SHA-256). A hashed
key never contains ``::``, so it can never equal a plain one. The original
names are kept inside the stored document.

Expiry: memcached reads an ``exptime`` above 30 days as an absolute Unix time,
so longer TTLs are sent as the expiry instant. Memcached counts whole seconds
on a clock that ticks once a second, so the native expiry is rounded up and
one second is added: memcached never drops an entry before its TTL, and the
exact expiry (``expires_at`` in the document) is checked on every read.
"""

from __future__ import annotations

import math
import re

from kv.names import compound_key, hashed_name

__all__ = [
    "MAX_ABSOLUTE_EXPTIME",
    "MAX_KEY_BYTES",
    "MAX_RELATIVE_EXPTIME",
    "exptime",
    "memcached_key",
]

MAX_KEY_BYTES = 250
"""Memcached's key length limit, in bytes."""

MAX_RELATIVE_EXPTIME = 30 * 24 * 3600
"""Largest ``exptime`` memcached reads as seconds from now (30 days)."""

MAX_ABSOLUTE_EXPTIME = 2**31 - 1
"""Largest absolute ``exptime`` memcached accepts (2038-01-19)."""

# What memcached's text protocol (and aiomcache's key check) refuses in a key:
# whitespace, C0 and C1 control characters.
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def memcached_key(collection: str, key: str) -> bytes:
    """The memcached key of ``(collection, key)``: the compound key, or its hash."""
    compound = compound_key(collection, key)
    raw = compound.encode("utf-8")
    if len(raw) <= MAX_KEY_BYTES and _UNSAFE.search(compound) is None:
        return raw
    return hashed_name(compound).encode("ascii")


def exptime(ttl: float | None, expires_at: float | None) -> int:
    """Memcached's ``exptime`` for a TTL of ``ttl`` seconds ending at ``expires_at``.

    ``0`` (never) without a TTL; otherwise whole seconds, rounded up plus one
    tick of memcached's clock, as a duration up to 30 days and as an absolute
    Unix time beyond (capped at 2038-01-19; reads still check the real expiry).
    """
    if ttl is None or expires_at is None:
        return 0
    seconds = math.ceil(ttl) + 1
    if seconds <= MAX_RELATIVE_EXPTIME:
        return seconds
    return min(math.ceil(expires_at) + 1, MAX_ABSOLUTE_EXPTIME)
