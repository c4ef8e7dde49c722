"""kv-filetree: a kv store as a tree of JSON files, a folder per collection.

Once the distribution is installed, ``kv.connect("file:///var/lib/app/kv")`` opens it;
or build it with ``FileTreeStore("/var/lib/app/kv")``. Each entry is an indented JSON
document in ``{root}/{collection}/{key}.json``, the layout of py-key-value's
FileTreeStore, whose data it reads. The store is imported on first access to
:class:`FileTreeStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_filetree.plugin import FILETREE_CAPABILITIES, FileTreeOptions

if TYPE_CHECKING:
    from kv_filetree.store import FileTreeStore

__all__ = ["FILETREE_CAPABILITIES", "FileTreeOptions", "FileTreeStore"]

__getattr__ = lazy_exports(__name__, {"FileTreeStore": "kv_filetree.store"})
