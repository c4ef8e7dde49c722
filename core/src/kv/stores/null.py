"""``null://``: a store that keeps nothing.

Every write is accepted and forgotten; every read finds nothing. The rules
still apply, so a bad value or TTL raises exactly as with a real store. Useful
to switch caching off, or in tests of code that must cope with misses.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.entry import StoredEntry
from kv.store import BaseStore

__all__ = ["NULL_CAPABILITIES", "NullStore"]

NULL_CAPABILITIES = Capabilities()
"""``null://`` offers none of the optional capabilities."""


class NullStore(BaseStore):
    """A store that discards writes and never finds anything."""

    capabilities = NULL_CAPABILITIES
    store_name = "null"

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        return None

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        return None

    async def _delete_entry(self, collection: str, key: str) -> bool:
        return False
