"""How kv-conformance damages an entry of a ``winreg://`` store (on Windows, like the store).

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it.
"""

from __future__ import annotations

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_windows_registry.api import load_winreg
from kv_windows_registry.naming import collection_name, value_name
from kv_windows_registry.store import WindowsRegistryStore

__all__ = ["HOOKS", "WindowsRegistryConformanceHooks"]


class WindowsRegistryConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_windows_registry.store.WindowsRegistryStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's registry value with text that is not JSON, with :mod:`winreg`."""
        store = store_of_type(store, WindowsRegistryStore)
        winreg = load_winreg()
        hive = (
            winreg.HKEY_CURRENT_USER
            if store.options.hive == "HKEY_CURRENT_USER"
            else winreg.HKEY_LOCAL_MACHINE
        )
        path = f"{store.options.path}\\{collection_name(collection)}"
        name = value_name(key)
        try:
            with winreg.OpenKey(hive, path, 0, winreg.KEY_READ | winreg.KEY_WRITE) as handle:
                winreg.QueryValueEx(handle, name)
                winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, '{"not": "closed')
        except FileNotFoundError:
            return False
        return True


HOOKS = WindowsRegistryConformanceHooks()
"""The object the plugin's declaration names."""
