"""The plugin module of kv-filetree: what kv imports to learn about ``file://``.

Named by the ``kv.stores`` entry point (``file = "kv_filetree.plugin"``); it
imports only ``kv.capabilities`` and ``kv.plugin``. The store module is
imported only when a ``file://`` URL is opened.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.plugin import StorePlugin, hookimpl

__all__ = ["FILETREE_CAPABILITIES", "kv_store_plugins"]

FILETREE_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=True,
    native_ttl=False,
    persistent=True,
)
"""What :class:`kv_filetree.store.FileTreeStore` can do (its class uses this value)."""


@hookimpl
def kv_store_plugins() -> list[StorePlugin]:
    """Declare the ``file://`` scheme."""
    return [
        StorePlugin(
            schemes=("file",),
            factory="kv_filetree.store:FileTreeStore.from_url",
            capabilities=FILETREE_CAPABILITIES,
            description="One JSON file per entry, a folder per collection (py-key-value FileTree)",
        )
    ]
