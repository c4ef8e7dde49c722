"""Atomic operations: put-if-absent and compare-and-swap, an optional capability.

A store that declares the ``atomic`` capability offers four methods
(:class:`AtomicKeyValue`), each done by the backend in one step, never as a
read followed by a write:

* ``put_if_absent(key, value, ttl=...)`` writes only when no live entry
  exists (an expired entry counts as absent) and says whether it wrote;
* ``get_versioned(key)`` returns the value, its remaining TTL and an opaque
  ``version`` token (:class:`Versioned`);
* ``put_if_version(key, value, version, ttl=...)`` writes only when the
  entry still has that version;
* ``delete_if_version(key, version)`` deletes only when it still has it.

:func:`update` is the loop frameworks need on top (counters, read-modify-write
without lost updates)::

    from kv.atomic import update

    hits = await update(store, "page:/", lambda old: {"n": (old or {"n": 0})["n"] + 1})

The names follow what they do: etcd and NATS say "revision", Dapr and HTTP
"ETag", memcached "cas"; here the token is a ``version``, compared as an
opaque string. A version changes whenever the stored entry changes (its
value, its expiry or its write time); a version from before any such write is
refused.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, SupportsFloat, runtime_checkable

from kv.errors import ConflictError

__all__ = [
    "ATOMIC_OPERATIONS",
    "AtomicKeyValue",
    "Versioned",
    "content_version",
    "expiring_version",
    "live_token",
    "update",
]

ATOMIC_OPERATIONS = ("put_if_absent", "get_versioned", "put_if_version", "delete_if_version")
"""The methods of :class:`AtomicKeyValue`, in the order the docs give them."""

DEFAULT_ATTEMPTS = 100
"""How many times :func:`update` reads and tries to write before giving up."""


@dataclass(frozen=True, slots=True)
class Versioned:
    """A value read with :meth:`AtomicKeyValue.get_versioned`.

    Attributes:
        value: The stored value (a fresh ``dict``).
        ttl: Seconds the entry has left, or ``None`` if it never expires.
        version: The entry's version: pass it to ``put_if_version`` or
            ``delete_if_version``. Opaque; compare it only for equality.
    """

    value: dict[str, Any]
    ttl: float | None
    version: str


@runtime_checkable
class AtomicKeyValue(Protocol):
    """A store with atomic conditional writes (the ``atomic`` capability)."""

    async def put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> bool:
        """Store ``value`` only if ``key`` has no live entry; return whether it did."""
        ...

    async def get_versioned(self, key: str, *, collection: str | None = None) -> Versioned | None:
        """Return the value, TTL and version of ``key``, or ``None`` if absent or expired."""
        ...

    async def put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> bool:
        """Store ``value`` only if ``key``'s entry still has ``version``; return whether it did."""
        ...

    async def delete_if_version(
        self, key: str, version: str, *, collection: str | None = None
    ) -> bool:
        """Delete ``key`` only if its entry still has ``version``; return whether it did."""
        ...


def expiring_version(token: str, expires_at: float | None) -> str:
    """A version made of the backend's own token for an entry (an ETag, say) and the
    entry's expiry, so that a conditional write can refuse an expired entry
    without reading it again (see :func:`live_token`)."""
    return f"{token}@{'' if expires_at is None else repr(expires_at)}"


def live_token(version: str, now: float) -> str | None:
    """The token of a version :func:`expiring_version` made, if its entry is still live
    at ``now``; ``None`` for an expired entry or a version of another form."""
    token, separator, expiry = version.rpartition("@")
    if not separator or not token:
        return None
    try:
        expires_at = float(expiry) if expiry else None
    except ValueError:
        return None
    return None if expires_at is not None and expires_at <= now else token


def content_version(*parts: object) -> str:
    """A version derived from what an entry stores (its text, write time, expiry).

    For a store without a native version (a revision, a ``cas`` number): the
    same parts give the same version, and a write changes at least the write
    time, so a version from before it no longer matches. A SQL store can
    register this function and compare it in the statement that writes::

        connection.create_function("kv_version", 3, content_version, deterministic=True)
        # UPDATE t SET ... WHERE ... AND kv_version(value, created_at, expires_at) = ?
    """
    import hashlib  # not at module level: ``import kv`` stays light

    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        digest.update(repr(part).encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


async def update(
    store: AtomicKeyValue,
    key: str,
    change: Callable[[dict[str, Any] | None], Mapping[str, Any] | None],
    *,
    collection: str | None = None,
    ttl: SupportsFloat | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
) -> dict[str, Any] | None:
    """Apply ``change`` to the value of ``key`` atomically, retrying on conflict.

    ``change`` gets the current value (``None`` when absent or expired) and
    returns the new one, or ``None`` to delete the entry. It may be called
    several times (once per attempt) and must not have side effects. The new
    value is written with ``ttl`` (``None``: no expiry), as ``put`` would.

    Between attempts the caller waits a short random time (up to 50 ms, growing
    with each conflict), so many writers of one key make progress.

    Returns:
        The value written (a copy of what ``change`` returned), or ``None`` if
        the entry was deleted or stayed absent.

    Raises:
        ConflictError: every one of ``attempts`` attempts met a concurrent write.
    """
    import anyio  # not at module level: ``import kv`` stays light

    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, not {attempts!r}")
    for attempt in range(attempts):
        current = await store.get_versioned(key, collection=collection)
        new = change(None if current is None else current.value)
        if current is None:
            if new is None:
                return None
            done = await store.put_if_absent(key, new, collection=collection, ttl=ttl)
        elif new is None:
            done = await store.delete_if_version(key, current.version, collection=collection)
        else:
            done = await store.put_if_version(
                key, new, current.version, collection=collection, ttl=ttl
            )
        if done:
            return None if new is None else dict(new)
        await anyio.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
    raise ConflictError(
        f"update gave up after {attempts} attempts: the entry kept changing",
        store=getattr(store, "store_name", None),
        collection=collection,
        key=key,
    )
