"""kv-windows-registry: a kv store in the Windows registry.

Open it by URL once the distribution is installed (on Windows)::

    import kv

    store = kv.connect("winreg://HKCU/Software/my-app")
    await store.put("window", {"width": 800}, collection="settings")

The distribution installs and imports on every platform; building the store
anywhere but Windows raises :class:`~kv.errors.StoreSetupError`. This package
module stays light: the store is imported from :mod:`kv_windows_registry.store`
on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_windows_registry.plugin import WINREG_CAPABILITIES
    from kv_windows_registry.store import WindowsRegistryOptions, WindowsRegistryStore

__all__ = ["WINREG_CAPABILITIES", "WindowsRegistryOptions", "WindowsRegistryStore"]

_LAZY = {
    "WINREG_CAPABILITIES": "kv_windows_registry.plugin",
    "WindowsRegistryOptions": "kv_windows_registry.store",
    "WindowsRegistryStore": "kv_windows_registry.store",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_windows_registry' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
