"""kv-conformance hooks of ``file://``: damage an entry, reopen a store.

Named by the plugin's declaration, so the conformance suite runs its
damaged-data and persistence tests on file-tree stores, in the plugin's own
tests and under ``pytest --kv-url file://...`` or ``kv check`` (see
:mod:`kv_conformance.hooks`). Test support only: a store never imports this
module.
"""

from __future__ import annotations

from pathlib import Path

from kv.names import encode_path_segment
from kv.protocols import AsyncKeyValue
from kv_filetree.store import FileTreeStore

__all__ = ["HOOKS", "FileTreeConformanceHooks"]


def _tree_store(store: AsyncKeyValue) -> FileTreeStore:
    if not isinstance(store, FileTreeStore):
        raise TypeError(f"the file:// conformance hooks need a FileTreeStore, not {type(store)}")
    return store


class FileTreeConformanceHooks:
    """The conformance hooks of :class:`~kv_filetree.store.FileTreeStore`.

    Implements :class:`kv_conformance.hooks.ConformanceHooks` (structurally:
    kv-conformance is not imported).
    """

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's file with text that is not JSON."""
        tree = _tree_store(store)
        folder = Path(tree.directory) / encode_path_segment(collection)
        path = folder / f"{encode_path_segment(key)}.json"
        if not path.is_file():
            return False
        path.write_text('{"not": "closed', encoding="utf-8")
        return True

    async def reopen_store(self, store: AsyncKeyValue) -> AsyncKeyValue | None:
        """A new store object on the same folder, with the same options."""
        return FileTreeStore(_tree_store(store).options)


HOOKS = FileTreeConformanceHooks()
"""The object the plugin's declaration names."""
