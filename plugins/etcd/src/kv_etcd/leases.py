"""etcd leases for entries with a TTL: one lease per expiry second.

An etcd key expires with the lease it is attached to. Granting a lease for
every put costs a round trip per put; instead, every entry that expires
within the same second (rounded up) shares one lease, granted when the first
such entry is written, with a TTL that reaches at least the end of that
second. A lease therefore never removes an entry before its ``expires_at``
(it may remove it up to a second after, or later if etcd's minimum lease TTL
is longer; reads hide the entry from its exact expiry on).

The cache holds lease IDs only, which belong to the cluster, not to an event
loop, so one cache serves every loop. Two calls that need the same second at
once may both grant a lease; the later one is kept and the other simply
expires with its entries.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

__all__ = ["Leases"]

_KEEP = 4096
"""Cached seconds before the past ones are dropped."""


class Leases:
    """The lease IDs of the expiry seconds in use, granted on first need."""

    def __init__(self) -> None:
        self._ids: dict[int, int] = {}

    async def lease_for(self, expires_at: float, grant: Callable[[int], Awaitable[int]]) -> int:
        """The ID of the lease of ``expires_at``'s second, granting it with
        ``grant(ttl_seconds)`` if it has none yet."""
        second = math.ceil(expires_at)
        lease = self._ids.get(second)
        if lease is not None:
            return lease
        now = time.time()
        lease = await grant(max(1, math.ceil(second - now)))
        if len(self._ids) >= _KEEP:
            self._ids = {kept: id_ for kept, id_ in self._ids.items() if kept > now}
        self._ids[second] = lease
        return lease

    def forget(self, expires_at: float) -> None:
        """Drop the cached lease of ``expires_at``'s second (etcd no longer has it)."""
        self._ids.pop(math.ceil(expires_at), None)

    def clear(self) -> None:
        """Drop every cached lease (a new cluster may stand behind the address)."""
        self._ids.clear()
