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

Options (query or keywords; see :class:`~kv_filetree.plugin.FileTreeOptions`):
``fsync``, ``default_collection``, ``sweep_interval``, ``sweep_limit``.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Sequence

from kv.blocking import BlockingCalls, Engine, WouldBlock, running_inline
from kv.entry import StoredEntry
from kv.store import AtomicMixin, FullStore
from kv_filetree.plugin import FILETREE_CAPABILITIES, PLUGIN, FileTreeOptions
from kv_filetree.tree import FileTree

__all__ = ["FILETREE_CAPABILITIES", "FileTreeOptions", "FileTreeStore"]


class FileTreeStore(AtomicMixin, FullStore, plugin=PLUGIN):
    """A kv store of JSON files, a folder per collection, a file per entry.

    Nothing is touched until the first call; the root folder is created then
    if missing. File operations run in a worker thread, one call at a time
    for this store.

    The atomic operations (:mod:`kv.atomic`) read, compare and write holding
    a lock file at the root (:mod:`kv_filetree.lock`) that every process
    takes for them; a version is derived from the entry's file (its bytes
    and identity), so any write changes it. Plain ``put`` and ``delete`` do
    not take the lock: one racing a conditional write of the same key may be
    overwritten by it (a ``put_if_absent`` that finds no file creates its file
    exclusively, so it never replaces one), but two conditional writers
    never both win.

    Options (keywords, or a :class:`~kv_filetree.plugin.FileTreeOptions`):
    ``directory`` (the first positional argument), ``fsync``,
    ``default_collection`` and the sweep options.

    Raises:
        InvalidOptionError: an empty directory or bad sweep settings.
    """

    options: FileTreeOptions

    def __init__(
        self,
        options: FileTreeOptions | str | os.PathLike[str] | None = None,
        /,
        **keywords: object,
    ) -> None:
        super().__init__(options, **keywords)
        self._engine = Engine[FileTree](
            BlockingCalls(max_threads=1, inline_budget=self.options.inline_budget),
            closed="The store is closed",
            lock=True,
        )

    def __repr__(self) -> str:
        return f"<FileTreeStore directory={self.options.directory!r}>"

    # --- running blocking calls ----------------------------------------------------

    @property
    def _tree(self) -> FileTree | None:
        """The open file tree, else ``None``."""
        return self._engine.handle

    async def _open(self) -> None:
        tree = FileTree(self.options.directory, fsync=self.options.fsync)
        await self._engine.finish(tree.open)
        self._engine.handle = tree

    async def _close(self) -> None:
        self._engine.close()

    # --- entries -------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        # A read takes no lock (a file is replaced whole by a rename): inline.
        found = await self._engine.run(lambda tree: tree.fetch(collection, [key]), inline="read")
        return found[0]

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        unique = list(dict.fromkeys(keys))
        found = await self._engine.run(lambda tree: tree.fetch(collection, unique))
        by_key = dict(zip(unique, found))
        # Repeated keys share one entry here: the base store copies its value.
        return [by_key[key] for key in keys]

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        # A new file renamed over the old one, no lock: inline (unless synced).
        await self._engine.run(
            lambda tree: tree.put(collection, [key], [entry]),
            inline="write" if not self.options.fsync else False,
        )

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        await self._engine.run(lambda tree: tree.put(collection, keys, entries))

    async def _delete_entry(self, collection: str, key: str) -> bool:
        now = time.time()

        def delete(tree: FileTree) -> int:
            if running_inline() and tree.lock.in_use():
                # It may wait for a conditional write's lock: in the worker thread.
                raise WouldBlock
            return tree.delete(collection, [key], now)

        # An unlink (never synced), no lock unless conditional writes made one: inline.
        return await self._engine.run(delete, inline="write") > 0

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        now = time.time()
        return await self._engine.run(lambda tree: tree.delete(collection, keys, now))

    # --- capabilities --------------------------------------------------------------

    # One listing per walk, cut into pages: a folder cannot be listed from a
    # given name on, so the one-page hooks (_key_page) would list it again
    # for every page.

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        names = await self._engine.run(lambda tree: tree.key_names(collection))
        for start in range(0, len(names), page_size):
            yield names[start : start + page_size]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        names = await self._engine.run(lambda tree: tree.collection_names())
        for start in range(0, len(names), page_size):
            yield names[start : start + page_size]

    async def _destroy(self) -> bool:
        return await self._engine.run(lambda tree: tree.destroy())

    async def _destroy_collection(self, collection: str) -> bool:
        return await self._engine.run(lambda tree: tree.destroy_collection(collection))

    async def _cull(self, now: float, limit: int | None) -> int:
        return await self._engine.run(lambda tree: tree.cull(now, limit))

    # --- atomic operations -----------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        return await self._engine.run(lambda tree: tree.put_if_absent(collection, key, entry))

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        return await self._engine.run(lambda tree: tree.versioned(collection, key))

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        return await self._engine.run(
            lambda tree: tree.put_if_version(collection, key, entry, version)
        )

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        return await self._engine.run(
            lambda tree: tree.delete_if_version(collection, key, version, now)
        )
