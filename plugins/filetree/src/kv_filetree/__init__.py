"""kv-filetree: a kv store as a tree of JSON files, a folder per collection.

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("file:///var/lib/app/kv")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it with ``FileTreeStore("/var/lib/app/kv")``. Each entry is an
indented JSON document in ``{root}/{collection}/{key}.json``, the layout of
py-key-value's FileTreeStore, whose data it reads. This module stays light:
the store is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_filetree.plugin import FILETREE_CAPABILITIES
    from kv_filetree.store import FileTreeOptions, FileTreeStore

__all__ = ["FILETREE_CAPABILITIES", "FileTreeOptions", "FileTreeStore"]

_LAZY = {
    "FILETREE_CAPABILITIES": "kv_filetree.plugin",
    "FileTreeOptions": "kv_filetree.store",
    "FileTreeStore": "kv_filetree.store",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_filetree' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
