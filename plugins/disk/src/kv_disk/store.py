"""``disk://``: a persistent kv store in one directory, in diskcache's format.

The directory holds what py-key-value's ``DiskStore`` (and diskcache) keep:
an SQLite database ``cache.db`` whose ``Cache`` table has one row per entry,
keyed ``collection::key`` (raw text), the value being the entry's JSON
document as text, with ``expire_time`` in seconds since the epoch. kv reads
and writes that table itself with :mod:`sqlite3`; diskcache is never
imported, and no row is ever unpickled: a pickled key or value, as a tampered
file might hold, is a :class:`~kv.errors.DeserializationError`.

URL forms::

    disk:///absolute/dir
    disk://relative/dir                       (relative to the working directory)
    disk:///srv/cache?layout=per-collection   (one cache folder per collection)
    disk:///srv/cache?max_size=104857600      (evict beyond 100 MiB)

Options (query or keywords; see :class:`~kv_disk.plugin.DiskOptions`):
``layout`` (``single`` or ``per-collection``), ``max_size`` (bytes),
``timeout`` (seconds to wait for another process's lock),
``default_collection``, ``sweep_interval``, ``sweep_limit``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from kv.blocking import BlockingCalls, Engine, WouldBlock
from kv.entry import StoredEntry
from kv.errors import DeserializationError, KeyValueError
from kv.store import AtomicMixin, FullStore
from kv_disk.cachefile import CacheFile, Fetched
from kv_disk.errors import translate_disk_error
from kv_disk.layouts import Layout, PerCollectionLayout, SingleLayout
from kv_disk.plugin import DISK_CAPABILITIES, PLUGIN, DiskOptions, LayoutName

__all__ = ["DISK_CAPABILITIES", "DiskOptions", "DiskStore", "LayoutName"]

T = TypeVar("T")


_INLINE_KEYS = 64
"""Calls of up to this many keys may run inline (see :mod:`kv.blocking`)."""

_READ, _WRITE = "read", "write"
"""The kinds of inline call: each has its own strikes of the inline budget, so
writes slowed by a busy disk do not send reads to the thread."""


def _inline(keys: Sequence[str], kind: str) -> str | bool:
    """How a call of ``keys`` runs: inline as ``kind`` if it is small enough."""
    return kind if len(keys) <= _INLINE_KEYS else False


class DiskStore(AtomicMixin, FullStore, plugin=PLUGIN):
    """A kv store in one directory, in the format of py-key-value's DiskStore.

    Nothing is opened until the first call; the directory and ``cache.db``
    are created then if missing. Every SQLite call runs in a worker thread,
    one at a time for this store.

    Options (keywords, or a :class:`~kv_disk.plugin.DiskOptions`): ``directory``
    (the first positional argument), ``layout``, ``max_size`` (the store is
    then ``bounded``), ``timeout``, ``default_collection`` and the sweep options.

    Raises:
        InvalidOptionError: an empty directory, an unknown layout, a bad size
            or timeout.
    """

    listing_page_size = 100_000  # one hop to the thread for a whole listing

    options: DiskOptions

    def __init__(
        self, options: DiskOptions | str | os.PathLike[str] | None = None, /, **keywords: object
    ) -> None:
        super().__init__(options, **keywords)
        self._calls = BlockingCalls(max_threads=1, inline_budget=self.options.inline_budget)
        self._engine = Engine[Layout](self._calls, closed="The store is closed", lock=True)

    def __repr__(self) -> str:
        size = "" if self.options.max_size is None else f" max_size={self.options.max_size}"
        return (
            f"<DiskStore directory={self.options.directory!r} layout={self.options.layout!r}{size}>"
        )

    # --- running blocking calls ----------------------------------------------------

    @property
    def _layout(self) -> Layout | None:
        return self._engine.handle

    async def _run(self, call: Callable[[Layout], T], *, inline: bool | str = False) -> T:
        """Run ``call(layout)`` in the store's thread, one call at a time, or
        ``inline``, on the event loop, through connections that never wait for a
        lock: SQLite's readers never wait for writers in WAL mode, and a call that
        finds the database locked runs again in the thread (see :mod:`kv.blocking`)."""
        if not inline:
            return await self._engine.run(call)

        def without_waiting(layout: Layout) -> T:
            try:
                return call(layout)
            except sqlite3.OperationalError as error:
                if CacheFile.waiting_inline(error):
                    raise WouldBlock from error
                raise

        return await self._engine.run(without_waiting, inline=inline)

    # --- lifecycle -----------------------------------------------------------------

    async def _open(self) -> None:
        kind = SingleLayout if self.options.layout == "single" else PerCollectionLayout
        layout = kind(
            self.options.directory, timeout=self.options.timeout, max_size=self.options.max_size
        )
        await self._engine.finish(layout.open)
        self._engine.handle = layout

    async def _close(self) -> None:
        layout = self._engine.close()
        if layout is not None:
            await self._engine.finish(layout.close)

    # --- entries -------------------------------------------------------------------

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        found = await self._run(
            lambda layout: layout.fetch(collection, keys),
            inline=_inline(keys, _READ),
        )
        # Repeated keys may share one decoded value: the base store copies it.
        return [_checked(fetched, key) for key, fetched in zip(keys, found)]

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        await self._run(lambda layout: layout.put(collection, [key], [entry]), inline=_WRITE)

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        await self._run(
            lambda layout: layout.put(collection, keys, entries), inline=_inline(keys, _WRITE)
        )

    # --- atomic operations (one transaction each, see CacheFile.put_if) -------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        now = entry.created_at or time.time()
        return await self._run(
            lambda layout: layout.put_if(collection, key, entry, None, now), inline=_WRITE
        )

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        found = await self._run(lambda layout: layout.versioned(collection, key), inline=_READ)
        if found is None:
            return None
        entry = _checked(found[0], key)
        return None if entry is None else (entry, found[1])

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        now = entry.created_at or time.time()
        return await self._run(
            lambda layout: layout.put_if(collection, key, entry, version, now), inline=_WRITE
        )

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        return await self._run(
            lambda layout: layout.delete_if(collection, key, version, now), inline=_WRITE
        )

    async def _delete_entry(self, collection: str, key: str) -> bool:
        now = time.time()
        return await self._run(
            lambda layout: layout.delete_one(collection, key, now), inline=_WRITE
        )

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        now = time.time()
        return await self._run(
            lambda layout: layout.delete(collection, keys, now), inline=_inline(keys, _WRITE)
        )

    # --- capabilities --------------------------------------------------------------

    async def _key_page(self, collection: str, after: str | None, limit: int) -> Sequence[str]:
        now = time.time()
        return await self._run(lambda layout: layout.key_page(collection, after, now, limit))

    async def _collection_page(self, after: str | None, limit: int) -> Sequence[str]:
        now = time.time()
        return await self._run(lambda layout: layout.collection_names(after, now, limit))

    async def _destroy(self) -> bool:
        now = time.time()
        return await self._run(lambda layout: layout.destroy(now))

    async def _destroy_collection(self, collection: str) -> bool:
        now = time.time()
        return await self._run(lambda layout: layout.destroy_collection(collection, now))

    async def _cull(self, now: float, limit: int | None) -> int:
        return await self._run(lambda layout: layout.cull(now, limit))

    # --- errors --------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """Map :mod:`sqlite3` exceptions to kv errors (``None``: let the base decide)."""
        return translate_disk_error(error, self.options.directory, self.options.timeout)


def _checked(fetched: Fetched | None, key: str) -> StoredEntry | None:
    """The entry, or :class:`DeserializationError` naming ``key`` for a refused row."""
    if isinstance(fetched, str):
        raise DeserializationError(fetched, key=key)
    return fetched
