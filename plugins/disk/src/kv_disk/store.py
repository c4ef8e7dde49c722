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

Options (query or keywords of ``kv.connect``): ``layout`` (``single`` or
``per-collection``), ``max_size`` (bytes), ``timeout`` (seconds to wait for
another process's lock), ``default_collection``, ``sweep_interval``,
``sweep_limit``.
"""

from __future__ import annotations

import functools
import math
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from typing import Literal, TypeVar

from kv.blocking import BlockingCalls
from kv.entry import StoredEntry
from kv.errors import (
    DeserializationError,
    InvalidOptionError,
    KeyValueError,
    StoreConnectionError,
)
from kv.options import CommonOptions, parse_options
from kv.store import (
    BaseStore,
    CullMixin,
    DestroyCollectionMixin,
    DestroyMixin,
    EnumerateCollectionsMixin,
    EnumerateKeysMixin,
)
from kv.url import StoreURL
from kv_disk.cachefile import Fetched
from kv_disk.errors import translate_sqlite_error
from kv_disk.layouts import Layout, PerCollectionLayout, SingleLayout
from kv_disk.plugin import DISK_CAPABILITIES

__all__ = ["DEFAULT_TIMEOUT", "DISK_CAPABILITIES", "DiskOptions", "DiskStore", "LayoutName"]

T = TypeVar("T")

LayoutName = Literal["single", "per-collection"]

DEFAULT_TIMEOUT = 10.0
"""Seconds a call waits for another connection's lock before failing."""


class DiskOptions(CommonOptions):
    """Options of ``disk://``, from the URL query or keywords of ``kv.connect``.

    Attributes:
        layout: ``"single"`` (one cache for every collection, py-key-value's
            ``DiskStore``) or ``"per-collection"`` (a cache folder per
            collection, py-key-value's ``MultiDiskStore``).
        max_size: Evict the least recently stored entries once the cache
            (each cache, per collection) uses more than this many bytes on
            disk; ``None``: unbounded. Counted as diskcache counts its
            ``size_limit``: database pages in use plus value files.
        timeout: Seconds to wait for another process's lock.
    """

    layout: LayoutName = "single"
    max_size: int | None = None
    timeout: float = DEFAULT_TIMEOUT


class DiskStore(
    EnumerateKeysMixin,
    EnumerateCollectionsMixin,
    DestroyMixin,
    DestroyCollectionMixin,
    CullMixin,
    BaseStore,
):
    """A kv store in one directory, in the format of py-key-value's DiskStore.

    Nothing is opened until the first call; the directory and ``cache.db``
    are created then if missing. Every SQLite call runs in a worker thread,
    one at a time for this store.

    Args:
        directory: The cache directory.
        layout: ``"single"`` or ``"per-collection"`` (see :class:`DiskOptions`).
        max_size: Size limit in bytes with eviction (the store is then ``bounded``).
        timeout: Seconds to wait for another connection's lock.
        default_collection: Collection used when ``collection=None``.
        sweep_interval: Seconds between sweeps of expired entries during
            writes (``None``: only on ``cull()``).
        sweep_limit: Most expired entries one sweep removes.

    Raises:
        InvalidOptionError: an empty directory, an unknown layout, a bad size
            or timeout.
    """

    capabilities = DISK_CAPABILITIES
    store_name = "disk"

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        layout: LayoutName = "single",
        max_size: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        default_collection: str | None = None,
        sweep_interval: float | None = 60.0,
        sweep_limit: int = 500,
    ) -> None:
        super().__init__(default_collection=default_collection)
        self.directory: str = _check_directory(directory)
        if layout not in ("single", "per-collection"):
            raise InvalidOptionError(
                f"layout must be 'single' or 'per-collection', not {layout!r}", store="disk"
            )
        self.layout: LayoutName = layout
        self.max_size: int | None = _check_max_size(max_size)
        self.timeout: float = _check_timeout(timeout)
        if self.max_size is not None:
            self.capabilities = replace(DISK_CAPABILITIES, bounded=True)
        self.configure_sweep(interval=sweep_interval, limit=sweep_limit)
        self._calls = BlockingCalls(max_threads=1)
        self._lock = threading.Lock()
        self._layout: Layout | None = None

    @classmethod
    def from_url(cls, url: StoreURL, **options: object) -> DiskStore:
        """Build a store from ``disk://PATH[?layout=...&max_size=...&timeout=...]``.

        Raises:
            InvalidURLError: the URL has no path, or has a user or password.
            InvalidOptionError: an unknown option or a bad value.
        """
        path = url.local_path(windows_drive=True)
        parsed = parse_options(url, options, DiskOptions, store=cls.store_name)
        return cls(
            path,
            layout=parsed.layout,
            max_size=parsed.max_size,
            timeout=parsed.timeout,
            default_collection=parsed.default_collection,
            sweep_interval=parsed.sweep_interval,
            sweep_limit=parsed.sweep_limit,
        )

    def __repr__(self) -> str:
        size = "" if self.max_size is None else f" max_size={self.max_size}"
        return f"<DiskStore directory={self.directory!r} layout={self.layout!r}{size}>"

    # --- running blocking calls ----------------------------------------------------

    async def _run(self, call: Callable[[Layout], T]) -> T:
        """Run ``call(layout)`` in a worker thread, one call at a time."""
        layout = self._layout
        if layout is None:
            raise StoreConnectionError("The store is closed")
        lock = self._lock

        def locked() -> T:
            with lock:
                return call(layout)

        return await self._calls(locked)

    # --- lifecycle -----------------------------------------------------------------

    async def _open(self) -> None:
        kind = SingleLayout if self.layout == "single" else PerCollectionLayout
        layout = kind(self.directory, timeout=self.timeout, max_size=self.max_size)
        lock = self._lock

        def open_layout() -> None:
            with lock:
                layout.open()

        await self._calls.finish(open_layout)
        self._layout = layout

    async def _close(self) -> None:
        layout, self._layout = self._layout, None
        if layout is None:
            return
        lock = self._lock

        def close() -> None:
            with lock:
                layout.close()

        await self._calls.finish(close)

    # --- entries -------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        return (await self._get_entries(collection, [key]))[0]

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        found = await self._run(lambda layout: layout.fetch(collection, keys))
        # Repeated keys may share one decoded value: the base store copies it.
        return [_checked(fetched, key) for key, fetched in zip(keys, found)]

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        await self._run(lambda layout: layout.put(collection, [key], [entry]))

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        await self._run(lambda layout: layout.put(collection, keys, entries))

    async def _delete_entry(self, collection: str, key: str) -> bool:
        return await self._delete_entries(collection, [key]) > 0

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        now = time.time()
        return await self._run(lambda layout: layout.delete(collection, keys, now))

    # --- capabilities --------------------------------------------------------------

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        after: str | None = None
        while True:
            page = await self._run(
                functools.partial(_key_page, collection, after, time.time(), page_size)
            )
            if page:
                yield page
            if len(page) < page_size:
                return
            after = page[-1]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        after: str | None = None
        while True:
            page = await self._run(
                functools.partial(_collection_page, after, time.time(), page_size)
            )
            if page:
                yield page
            if len(page) < page_size:
                return
            after = page[-1]

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
        return translate_sqlite_error(error, self.directory, self.timeout)


def _key_page(
    collection: str, after: str | None, now: float, limit: int, layout: Layout
) -> list[str]:
    return layout.key_page(collection, after, now, limit)


def _collection_page(after: str | None, now: float, limit: int, layout: Layout) -> list[str]:
    return layout.collection_names(after, now, limit)


def _checked(fetched: Fetched | None, key: str) -> StoredEntry | None:
    """The entry, or :class:`DeserializationError` naming ``key`` for a refused row."""
    if isinstance(fetched, str):
        raise DeserializationError(fetched, key=key)
    return fetched


def _check_directory(directory: object) -> str:
    if isinstance(directory, os.PathLike):
        directory = os.fspath(directory)
    if not isinstance(directory, str):
        raise InvalidOptionError(
            f"directory must be a str or os.PathLike[str], not {type(directory).__name__}",
            store="disk",
        )
    if not directory:
        raise InvalidOptionError("directory must not be empty", store="disk")
    if "\x00" in directory:
        raise InvalidOptionError("directory must not contain NUL", store="disk")
    return os.path.abspath(directory)


def _check_max_size(max_size: object) -> int | None:
    if max_size is None:
        return None
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
        raise InvalidOptionError(
            f"max_size must be None or a number of bytes >= 1, not {max_size!r}", store="disk"
        )
    return max_size


def _check_timeout(timeout: object) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise InvalidOptionError(
            f"timeout must be a number of seconds, not {type(timeout).__name__}", store="disk"
        )
    seconds = float(timeout)
    if not (seconds >= 0 and math.isfinite(seconds)):
        raise InvalidOptionError(
            f"timeout must be a finite number of seconds >= 0, not {timeout!r}", store="disk"
        )
    return seconds
