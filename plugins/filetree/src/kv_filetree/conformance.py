"""How kv-conformance damages an entry of a ``file://`` store.

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it.
"""

from __future__ import annotations

from pathlib import Path

from kv.names import encode_path_segment
from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_filetree.store import FileTreeStore

__all__ = ["HOOKS", "FileTreeConformanceHooks"]


class FileTreeConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_filetree.store.FileTreeStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's file with text that is not JSON."""
        store = store_of_type(store, FileTreeStore)
        folder = Path(store.options.directory) / encode_path_segment(collection)
        path = folder / f"{encode_path_segment(key)}.json"
        if not path.is_file():
            return False
        path.write_text('{"not": "closed', encoding="utf-8")
        return True


HOOKS = FileTreeConformanceHooks()
"""The object the plugin's declaration names."""
