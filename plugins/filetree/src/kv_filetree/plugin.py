"""The plugin module of kv-filetree: what kv imports to learn about ``file://``.

Named by the ``kv.stores`` entry point (``file = "kv_filetree.plugin"``); it
imports only ``kv.capabilities`` and ``kv.plugin``. The store module is
imported only when a ``file://`` URL is opened.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["FILETREE_CAPABILITIES", "PLUGIN"]

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


PLUGIN = StorePlugin(
    store="kv_filetree.store:FileTreeStore",
    options=CommonOptions,
    capabilities=FILETREE_CAPABILITIES,
    description="One JSON file per entry, a folder per collection (py-key-value FileTree)",
    conformance="kv_filetree.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
