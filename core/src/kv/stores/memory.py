"""``memory://``: a store in this process's memory.

Each entry is kept as its compact JSON text (plus its expiry time when it has
a TTL), so a read always returns a fresh ``dict`` and an entry costs little
more than its JSON. With ``max_entries`` each collection keeps at most that
many entries and evicts the least recently used.

URL form: ``memory://`` or ``memory://?max_entries=1000&default_collection=x``.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, SupportsFloat

from kv._typecheck import typechecked
from kv.capabilities import Capabilities
from kv.entry import StoredEntry
from kv.names import validate_key
from kv.options import CommonOptions, option
from kv.store import AtomicMixin, FullStore
from kv.values import dump_value, load_value

__all__ = ["MEMORY_CAPABILITIES", "MemoryOptions", "MemoryStore"]

MEMORY_CAPABILITIES = Capabilities.every_operation(native_ttl=True, atomic=True)
"""What :class:`MemoryStore` can do (``bounded`` too, with ``max_entries``)."""


def _max_entries(value: int | None) -> int | None:
    if value is not None and (type(value) is not int or value < 1):
        raise ValueError(f"max_entries must be a whole number >= 1, not {value!r}")
    return value


class MemoryOptions(CommonOptions):
    """Options of ``memory://``.

    Attributes:
        max_entries: Most entries a collection keeps; the least recently used
            entry is evicted beyond that (``none``: unbounded).
    """

    max_entries: int | None = option(default=None, check=_max_entries)


_clock = time.time
_NEVER = float("inf")


# An entry without TTL is its JSON text; with a TTL, (JSON text, expires_at).
_Slot = str | tuple[str, float]


class MemoryStore(AtomicMixin, FullStore):
    """A store held in memory, optionally bounded per collection (LRU).

    Atomic operations are atomic by construction: no hook awaits between its
    check and its write. Versions are numbers given out the first time
    ``get_versioned`` reads an entry and forgotten by every write of it.

    Options (keywords or a :class:`MemoryOptions`): ``max_entries`` (most
    entries a collection keeps, least recently used evicted beyond that;
    ``None``, the default, means unbounded), ``default_collection`` and the
    sweep options.
    """

    capabilities = MEMORY_CAPABILITIES
    store_name = "memory"
    Options = MemoryOptions
    options: MemoryOptions

    def __init__(self, options: MemoryOptions | None = None, /, **keywords: object) -> None:
        super().__init__(options, **keywords)
        max_entries = self.options.max_entries
        self.max_entries = max_entries
        if max_entries is not None:
            self.capabilities = replace(MEMORY_CAPABILITIES, bounded=True)
        self._collections: dict[str, dict[str, _Slot]] = {}
        # collection -> key -> version, only for entries read by get_versioned
        # since their last write (every write forgets the entry's version).
        self._versions: dict[str, dict[str, int]] = {}
        self._next_version = itertools.count(1)
        # Collections that may hold an entry with a TTL (listing the others needs
        # no expiry check per key).
        self._expiring: set[str] = set()

    def __repr__(self) -> str:
        return f"<MemoryStore max_entries={self.max_entries} collections={len(self._collections)}>"

    # --- fast paths: the same rules as BaseStore.get/put, without the hook calls ---

    @typechecked
    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value stored under ``key``, or ``None`` if absent or expired."""
        try:
            name = self.default_collection if collection is None else self._collection(collection)
            key = validate_key(key)
            if not self._ready:
                await self._prepare(name)
            table = self._collections.get(name)
            slot = None if table is None else table.get(key)
            if slot is None:
                return None
            if isinstance(slot, str):
                text = slot
            else:
                text, expires_at = slot
                if expires_at <= _clock():
                    return None
            if self.max_entries is not None:
                table.move_to_end(key)  # type: ignore[union-attr]
            return load_value(text)
        except Exception as error:
            self._raise(error, collection, key)

    @typechecked
    async def keys(self, collection: str | None = None, *, limit: int | None = None) -> list[str]:
        """Return the keys of ``collection``: every key when ``limit`` is ``None``."""
        if limit is None:
            try:
                name = self._collection(collection)
                if not self._ready:
                    await self._prepare(name)
            except Exception as error:
                self._raise(error, collection, None)
            if name not in self._expiring:  # no entry with a TTL: nothing to filter
                table = self._collections.get(name)
                return list(table) if table else []
        return await super().keys(collection, limit=limit)

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value`` under ``key``, replacing any earlier value and TTL."""
        if ttl is not None or self.max_entries is not None:
            await super().put(key, value, collection=collection, ttl=ttl)
            return
        try:
            name = self.default_collection if collection is None else self._collection(collection)
            key = validate_key(key)
            text = dump_value(value)
            self._check_size(text)
            if not self._ready:
                await self._prepare(name)
            table = self._collections.get(name)
            if table is None:
                table = self._table(name)
            table[key] = text
            if self._versions:
                self._forget_version(name, key)
            if self._next_sweep != _NEVER:
                now = _clock()
                if now >= self._next_sweep:
                    await self._after_write(now)
        except Exception as error:
            self._raise(error, collection, key)

    def _table(self, collection: str) -> dict[str, _Slot]:
        table = self._collections.get(collection)
        if table is None:
            table = OrderedDict() if self.max_entries is not None else {}
            self._collections[collection] = table
        return table

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        table = self._collections.get(collection)
        if table is None:
            return None
        slot = table.get(key)
        if slot is None:
            return None
        if isinstance(slot, str):
            if self.max_entries is not None:
                table.move_to_end(key)  # type: ignore[attr-defined]
            return StoredEntry(slot)
        value_json, expires_at = slot
        if self.max_entries is not None:
            table.move_to_end(key)  # type: ignore[attr-defined]
        return StoredEntry(value_json, None, expires_at)

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        table = self._collections.get(collection)
        if table is None:
            table = self._table(collection)
        value_json = entry.json()
        if entry.expires_at is None:
            table[key] = value_json
        else:
            table[key] = (value_json, entry.expires_at)
            self._expiring.add(collection)
        if self._versions:
            self._forget_version(collection, key)
        if self.max_entries is not None:
            table.move_to_end(key)  # type: ignore[attr-defined]
            while len(table) > self.max_entries:
                evicted, _ = table.popitem(last=False)  # type: ignore[call-arg]
                if self._versions:
                    self._forget_version(collection, evicted)

    async def _delete_entry(self, collection: str, key: str) -> bool:
        table = self._collections.get(collection)
        if table is None:
            return False
        slot = table.pop(key, None)
        if slot is None:
            return False
        if self._versions:
            self._forget_version(collection, key)
        return isinstance(slot, str) or slot[1] > _clock()

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        return [await self._get_entry(collection, key) for key in keys]

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        table = self._collections.get(collection)
        if not table:
            return
        now = _clock()
        # The first page straight from the table (keys(limit=10) reads about 10
        # entries, however large the collection); the rest from a snapshot taken
        # when it is asked for, since the table may change while the caller waits.
        first: list[str] = []
        for key, slot in table.items():
            if isinstance(slot, str) or slot[1] > now:
                first.append(key)
                if len(first) == page_size:
                    break
        else:
            if first:
                yield first
            return
        yield first
        if collection not in self._expiring:
            names = list(table)  # nothing to filter: at C speed
            if names[: len(first)] == first:  # unchanged since the first page
                del names[: len(first)]
            else:
                listed = set(first)
                names = [key for key in names if key not in listed]
            if names:
                yield names  # in memory already: the rest as one page
            return
        listed = set(first)
        now = _clock()
        names = [
            key
            for key, slot in list(table.items())
            if key not in listed and (isinstance(slot, str) or slot[1] > now)
        ]
        for start in range(0, len(names), page_size):
            yield names[start : start + page_size]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        names = [name for name, table in self._collections.items() if table]
        for start in range(0, len(names), page_size):
            yield names[start : start + page_size]

    async def _destroy(self) -> bool:
        had_entries = any(self._collections.values())
        self._collections.clear()
        self._versions.clear()
        self._expiring.clear()
        return had_entries

    async def _destroy_collection(self, collection: str) -> bool:
        table = self._collections.pop(collection, None)
        self._versions.pop(collection, None)
        self._expiring.discard(collection)
        return bool(table)

    async def _cull(self, now: float, limit: int | None) -> int:
        removed = 0
        for name, table in list(self._collections.items()):
            expired = [
                k for k, slot in table.items() if not isinstance(slot, str) and slot[1] <= now
            ]
            if limit is not None:
                expired = expired[: limit - removed]
            for key in expired:
                del table[key]
                if self._versions:
                    self._forget_version(name, key)
            removed += len(expired)
            if not table:
                del self._collections[name]
            if limit is not None and removed >= limit:
                break
        return removed

    # --- atomic operations -------------------------------------------------------

    def _forget_version(self, collection: str, key: str) -> None:
        versions = self._versions.get(collection)
        if versions is not None and versions.pop(key, None) is not None and not versions:
            del self._versions[collection]

    def _live_version(self, collection: str, key: str, now: float) -> int | None:
        """The version of a live entry (0: live, never read with its version), or ``None``."""
        slot = self._collections.get(collection, {}).get(key)
        if slot is None or (not isinstance(slot, str) and slot[1] <= now):
            return None
        return self._versions.get(collection, {}).get(key, 0)

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        if self._live_version(collection, key, entry.created_at or _clock()) is not None:
            return False
        await self._put_entry(collection, key, entry, ttl)
        return True

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        entry = await self._get_entry(collection, key)
        if entry is None:
            return None
        versions = self._versions.setdefault(collection, {})
        version = versions.get(key)
        if version is None:
            version = versions[key] = next(self._next_version)
        return entry, str(version)

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        current = self._live_version(collection, key, entry.created_at or _clock())
        if not current or str(current) != version:
            return False
        await self._put_entry(collection, key, entry, ttl)
        return True

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        current = self._live_version(collection, key, now)
        if not current or str(current) != version:
            return False
        return await self._delete_entry(collection, key)
