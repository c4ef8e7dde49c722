"""The plugin module of kv-disk: what kv imports to learn about ``disk://``.

Named by the ``kv.stores`` entry point (``disk = "kv_disk.plugin"``); it
imports only ``kv.capabilities`` and ``kv.plugin``. The store module (and
:mod:`sqlite3`) is imported only when a ``disk://`` URL is opened.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.plugin import StorePlugin, hookimpl

__all__ = ["DISK_CAPABILITIES", "kv_store_plugins"]

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


@hookimpl
def kv_store_plugins() -> list[StorePlugin]:
    """Declare the ``disk://`` scheme."""
    return [
        StorePlugin(
            schemes=("disk",),
            factory="kv_disk.store:DiskStore.from_url",
            capabilities=DISK_CAPABILITIES,
            description="A directory in diskcache's format (py-key-value DiskStore), no pickle",
        )
    ]
