"""The plugin module of kv-windows-registry: what kv imports to learn about ``winreg://``.

It is named by the ``kv.stores`` entry point of this distribution and imports
only ``kv.capabilities`` and ``kv.plugin``, so it imports on every platform:
``kv plugins`` lists the scheme everywhere, and opening a ``winreg://`` URL
off Windows gives a clear :class:`~kv.errors.StoreSetupError`.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["WINREG_CAPABILITIES", "PLUGIN"]

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


PLUGIN = StorePlugin(
    store="kv_windows_registry.store:WindowsRegistryStore",
    options=CommonOptions,
    capabilities=WINREG_CAPABILITIES,
    description="The Windows registry (standard library winreg); Windows only",
    conformance="kv_windows_registry.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
