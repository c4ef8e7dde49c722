"""The kv conformance suite against ``winreg://``, under asyncio and trio.

Runs where :mod:`winreg` exists, that is on Windows: the ``windows-registry``
GitHub Actions workflow runs it on a Windows runner. Everywhere else every
test here is skipped with that reason (the backend cannot exist there).
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from typing import Any

import pytest

import kv
from kv_conformance import StoreConformance
from kv_windows_registry.naming import collection_name, value_name
from kv_windows_registry.store import WindowsRegistryStore

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("winreg") is None,
    reason="needs the Windows registry (winreg exists only on Windows); the"
    " windows-registry GitHub Actions workflow runs these tests on Windows",
)


class TestWindowsRegistryStore(StoreConformance):
    """Every behaviour of a kv store, under a fresh registry key per test."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(self, registry_path: str, winreg_api: Any) -> AsyncIterator[kv.AsyncKeyValue]:
        url = "winreg://HKCU/" + registry_path.replace("\\", "/")
        store = kv.connect(url)
        assert isinstance(store, WindowsRegistryStore)
        self.winreg = winreg_api
        yield store
        await store.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's registry value with text that is not JSON."""
        assert isinstance(store, WindowsRegistryStore)
        winreg = self.winreg
        path = f"{store.path}\\{collection_name(collection)}"
        with winreg.OpenKey(
            winreg.HKEY_CURRENT_USER, path, 0, winreg.KEY_READ | winreg.KEY_WRITE
        ) as handle:
            winreg.QueryValueEx(handle, value_name(key))  # FileNotFoundError if absent
            winreg.SetValueEx(handle, value_name(key), 0, winreg.REG_SZ, '{"not": "closed')
        return True

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same registry key."""
        assert isinstance(store, WindowsRegistryStore)
        return kv.connect("winreg://HKCU/" + store.path.replace("\\", "/"))
