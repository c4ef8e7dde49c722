"""The plugin module of kv-disk: what kv imports to learn about ``disk://``.

Named by the ``kv.stores`` entry point (``disk = "kv_disk.plugin"``); it
imports only ``kv.capabilities`` and ``kv.plugin``. The store module (and
:mod:`sqlite3`) is imported only when a ``disk://`` URL is opened.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["DISK_CAPABILITIES", "PLUGIN"]

DISK_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=True,
    native_ttl=False,
    persistent=True,
)
"""What :class:`kv_disk.store.DiskStore` can do (a store with ``max_size`` is
also ``bounded``)."""


PLUGIN = StorePlugin(
    store="kv_disk.store:DiskStore",
    options=CommonOptions,
    capabilities=DISK_CAPABILITIES,
    description="A directory in diskcache's format (py-key-value DiskStore), no pickle",
    conformance="kv_disk.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
