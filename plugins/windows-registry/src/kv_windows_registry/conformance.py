"""kv-conformance hooks of ``winreg://``: damage an entry, reopen a store.

Named by the plugin's declaration, so the conformance suite runs its
damaged-data and persistence tests on registry stores, in the plugin's own
tests and under ``pytest --kv-url winreg://...`` or ``kv check`` (see
:mod:`kv_conformance.hooks`). Runs on Windows only, like the store. Test
support only: a store never imports this module.
"""

from __future__ import annotations

from kv.protocols import AsyncKeyValue
from kv_windows_registry.api import load_winreg
from kv_windows_registry.naming import collection_name, value_name
from kv_windows_registry.store import WindowsRegistryStore

__all__ = ["HOOKS", "WindowsRegistryConformanceHooks"]


def _registry_store(store: AsyncKeyValue) -> WindowsRegistryStore:
    if not isinstance(store, WindowsRegistryStore):
        raise TypeError(
            f"the winreg:// conformance hooks need a WindowsRegistryStore, not {type(store)}"
        )
    return store


class WindowsRegistryConformanceHooks:
    """The conformance hooks of :class:`~kv_windows_registry.store.WindowsRegistryStore`.

    Implements :class:`kv_conformance.hooks.ConformanceHooks` (structurally:
    kv-conformance is not imported).
    """

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's registry value with text that is not JSON, with :mod:`winreg`."""
        registry = _registry_store(store)
        winreg = load_winreg()
        hive = (
            winreg.HKEY_CURRENT_USER
            if registry.hive == "HKEY_CURRENT_USER"
            else winreg.HKEY_LOCAL_MACHINE
        )
        path = f"{registry.path}\\{collection_name(collection)}"
        name = value_name(key)
        try:
            with winreg.OpenKey(hive, path, 0, winreg.KEY_READ | winreg.KEY_WRITE) as handle:
                winreg.QueryValueEx(handle, name)
                winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, '{"not": "closed')
        except FileNotFoundError:
            return False
        return True

    async def reopen_store(self, store: AsyncKeyValue) -> AsyncKeyValue | None:
        """A new store object on the same registry key, with the same options."""
        return WindowsRegistryStore(_registry_store(store).options)


HOOKS = WindowsRegistryConformanceHooks()
"""The object the plugin's declaration names."""
