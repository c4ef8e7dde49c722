"""The kv conformance suite against ``winreg://``, under asyncio and trio.

Runs where :mod:`winreg` exists, that is on Windows: the ``windows-registry``
GitHub Actions workflow runs it on a Windows runner. Everywhere else every
test here is skipped with that reason (the backend cannot exist there).
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_windows_registry.conformance import HOOKS
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
    async def store(
        self, registry_path: str, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        url = "winreg://HKCU/" + registry_path.replace("\\", "/")
        store = kv.connect(url, default_collection=default_collection)
        assert isinstance(store, WindowsRegistryStore)
        yield store
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A store under a sibling key (same parent and hive, name starting the same).

        The suite empties it; its (then empty) root key is not deleted, since
        the ``registry_path`` fixture deletes only the store's own key.
        """
        assert isinstance(store, WindowsRegistryStore)
        return WindowsRegistryStore(
            f"{store.options.path}-sibling",
            hive=store.options.hive,
            legacy_names=store.options.legacy_names,
        )


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    assert hooks_for_scheme("winreg") is HOOKS
    assert schemes_of_store_type(WindowsRegistryStore) == ("winreg",)
