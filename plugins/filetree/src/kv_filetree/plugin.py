"""The declaration of ``file://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports :mod:`kv_filetree.store`.
"""

from __future__ import annotations

from kv.plugin import Capabilities, LocalOptions, StorePlugin, checks, option

__all__ = ["FILETREE_CAPABILITIES", "PLUGIN", "FileTreeOptions"]

FILETREE_CAPABILITIES = Capabilities.every_operation(persistent=True, atomic=True)
"""What :class:`kv_filetree.store.FileTreeStore` can do (its class uses this value)."""


class FileTreeOptions(LocalOptions):
    """Options of ``file://``, from the URL or keywords of ``FileTreeStore`` / ``kv.connect``.

    Attributes:
        directory: The root folder (the URL's path), made absolute when the
            store is built.
        fsync: Flush every written file to disk before it replaces the entry
            (durable across a power cut; about twice as slow to write).
    """

    positional = "directory"
    directory: str = option(check=checks.absolute_path)
    fsync: bool = True


PLUGIN = StorePlugin(
    store="kv_filetree.store:FileTreeStore",
    options=FileTreeOptions,
    capabilities=FILETREE_CAPABILITIES,
    description="One JSON file per entry, a folder per collection (py-key-value FileTree)",
    name="file",
)
"""The declaration the ``kv.stores`` entry point ``file`` names."""
