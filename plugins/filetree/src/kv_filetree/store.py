"""``file://``: a persistent kv store as a tree of JSON files.

Each entry is one indented JSON document, ``{root}/{collection}/{key}.json``,
with collection and key file names made by
:func:`kv.names.encode_path_segment` (so any name works, and names of
letters, digits, ``_`` and ``-`` are the file names py-key-value's
FileTreeStore uses). Writes are atomic (a temporary file in the same folder,
``fsync``, ``rename``), nothing outside the root is ever followed through a
symbolic link, and expired files are removed by :meth:`cull` and by a bounded
sweep during writes.

URL forms::

    file:///absolute/dir
    file://relative/dir                 (relative to the working directory)
    file:///srv/kv?fsync=false          (faster writes, not flushed to disk)

Options (query or keywords of ``kv.connect``): ``fsync``,
``default_collection``, ``sweep_interval``, ``sweep_limit``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TypeVar

from kv.blocking import BlockingCalls
from kv.entry import StoredEntry
from kv.errors import InvalidOptionError, StoreConnectionError
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
from kv_filetree.plugin import FILETREE_CAPABILITIES
from kv_filetree.tree import FileTree

__all__ = ["FILETREE_CAPABILITIES", "FileTreeOptions", "FileTreeStore"]

T = TypeVar("T")


class FileTreeOptions(CommonOptions):
    """Options of ``file://``, from the URL query or keywords of ``kv.connect``.

    Attributes:
        fsync: Flush every written file to disk before it replaces the entry
            (durable across a power cut; about twice as slow to write).
    """

    fsync: bool = True


class FileTreeStore(
    EnumerateKeysMixin,
    EnumerateCollectionsMixin,
    DestroyMixin,
    DestroyCollectionMixin,
    CullMixin,
    BaseStore,
):
    """A kv store of JSON files, a folder per collection, a file per entry.

    Nothing is touched until the first call; the root folder is created then
    if missing. File operations run in a worker thread, one call at a time
    for this store.

    Args:
        directory: The root folder.
        fsync: Flush each written file before it replaces the entry.
        default_collection: Collection used when ``collection=None``.
        sweep_interval: Seconds between sweeps of expired files during
            writes (``None``: only on ``cull()``).
        sweep_limit: Most expired files one sweep removes.

    Raises:
        InvalidOptionError: an empty directory or bad sweep settings.
    """

    capabilities = FILETREE_CAPABILITIES
    store_name = "file"

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        fsync: bool = True,
        default_collection: str | None = None,
        sweep_interval: float | None = 60.0,
        sweep_limit: int = 500,
    ) -> None:
        super().__init__(default_collection=default_collection)
        self.directory: str = _check_directory(directory)
        if not isinstance(fsync, bool):
            raise InvalidOptionError(
                f"fsync must be a bool, not {type(fsync).__name__}", store="file"
            )
        self.fsync: bool = fsync
        self.configure_sweep(interval=sweep_interval, limit=sweep_limit)
        self._calls = BlockingCalls(max_threads=1)
        self._lock = threading.Lock()
        self._tree: FileTree | None = None

    @classmethod
    def from_url(cls, url: StoreURL, **options: object) -> FileTreeStore:
        """Build a store from ``file://PATH[?fsync=false&default_collection=C]``.

        Raises:
            InvalidURLError: the URL has no path, or has a user or password.
            InvalidOptionError: an unknown option or a bad value.
        """
        path = url.local_path(windows_drive=True)
        parsed = parse_options(url, options, FileTreeOptions, store=cls.store_name)
        return cls(
            path,
            fsync=parsed.fsync,
            default_collection=parsed.default_collection,
            sweep_interval=parsed.sweep_interval,
            sweep_limit=parsed.sweep_limit,
        )

    def __repr__(self) -> str:
        return f"<FileTreeStore directory={self.directory!r}>"

    # --- running blocking calls ----------------------------------------------------

    async def _run(self, call: Callable[[FileTree], T]) -> T:
        """Run ``call(tree)`` in a worker thread, one call at a time."""
        tree = self._tree
        if tree is None:
            raise StoreConnectionError("The store is closed")
        lock = self._lock

        def locked() -> T:
            with lock:
                return call(tree)

        return await self._calls(locked)

    async def _open(self) -> None:
        tree = FileTree(self.directory, fsync=self.fsync)
        await self._calls.finish(tree.open)
        self._tree = tree

    async def _close(self) -> None:
        self._tree = None

    # --- entries -------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        return (await self._run(lambda tree: tree.fetch(collection, [key])))[0]

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        unique = list(dict.fromkeys(keys))
        found = await self._run(lambda tree: tree.fetch(collection, unique))
        by_key = dict(zip(unique, found))
        # Repeated keys share one entry here: the base store copies its value.
        return [by_key[key] for key in keys]

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        await self._run(lambda tree: tree.put(collection, [key], [entry]))

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        await self._run(lambda tree: tree.put(collection, keys, entries))

    async def _delete_entry(self, collection: str, key: str) -> bool:
        return await self._delete_entries(collection, [key]) > 0

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        now = time.time()
        return await self._run(lambda tree: tree.delete(collection, keys, now))

    # --- capabilities --------------------------------------------------------------

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        names = await self._run(lambda tree: tree.key_names(collection))
        for start in range(0, len(names), page_size):
            yield names[start : start + page_size]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        names = await self._run(lambda tree: tree.collection_names())
        for start in range(0, len(names), page_size):
            yield names[start : start + page_size]

    async def _destroy(self) -> bool:
        return await self._run(lambda tree: tree.destroy())

    async def _destroy_collection(self, collection: str) -> bool:
        return await self._run(lambda tree: tree.destroy_collection(collection))

    async def _cull(self, now: float, limit: int | None) -> int:
        return await self._run(lambda tree: tree.cull(now, limit))


def _check_directory(directory: object) -> str:
    if isinstance(directory, os.PathLike):
        directory = os.fspath(directory)
    if not isinstance(directory, str):
        raise InvalidOptionError(
            f"directory must be a str or os.PathLike[str], not {type(directory).__name__}",
            store="file",
        )
    if not directory:
        raise InvalidOptionError("directory must not be empty", store="file")
    if "\x00" in directory:
        raise InvalidOptionError("directory must not contain NUL", store="file")
    return os.path.abspath(directory)
