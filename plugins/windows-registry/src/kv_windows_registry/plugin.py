"""The plugin module of kv-windows-registry: what kv imports to learn about ``winreg://``.

It is named by the ``kv.stores`` entry point of this distribution and imports
only ``kv.capabilities`` and ``kv.plugin``, so it imports on every platform:
``kv plugins`` lists the scheme everywhere, and opening a ``winreg://`` URL
off Windows gives a clear :class:`~kv.errors.StoreSetupError`.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.plugin import StorePlugin, hookimpl

__all__ = ["WINREG_CAPABILITIES", "kv_store_plugins"]

WINREG_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=True,
    native_ttl=False,
    persistent=True,
)
"""What :class:`kv_windows_registry.store.WindowsRegistryStore` can do."""


@hookimpl
def kv_store_plugins() -> list[StorePlugin]:
    """Declare the ``winreg://`` scheme."""
    return [
        StorePlugin(
            schemes=("winreg",),
            factory="kv_windows_registry.store:WindowsRegistryStore.from_url",
            capabilities=WINREG_CAPABILITIES,
            description="The Windows registry (standard library winreg); Windows only",
        )
    ]
