"""The kv conformance suite against Azurite 3.35 (Microsoft's Azure Storage emulator).

The store is opened by URL, through the entry point, as a user would, with
the development account's connection string as a keyword. Every test gets a
fresh table, dropped afterwards. azure-data-tables' asynchronous client runs
on aiohttp, so the suite runs under asyncio only (the store declares
``asyncio_only``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence

import pytest

import kv
from kv_azure_tables.conformance import HOOKS
from kv_azure_tables.store import AzureTablesStore
from kv_conformance import StoreConformance
from kv_conformance.emulators import AZURITE_ACCOUNT, AZURITE_KEY
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type

pytestmark = pytest.mark.kv_server


class TestAzureTablesStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh Azurite table per test."""

    # Azurite inserts a few hundred entities a second (its in-memory database slows as a
    # table grows): 2,050 keys still span three of the service's 1,000-entity pages, and
    # 1,050 entries eleven transactions of 100 (test_azure_tables_store.py has 250).
    enumeration_size = 2_050
    large_batch_size = 1_050

    @pytest.fixture
    async def store(
        self, connection_string: str, azure_table: str, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(
            f"azure-tables://{AZURITE_ACCOUNT}/{azure_table}",
            connection_string=connection_string,
            default_collection=default_collection,
        )
        assert isinstance(store, AzureTablesStore)
        yield store
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another table of the same account (the suite destroys and closes it)."""
        assert isinstance(store, AzureTablesStore)
        options = dataclasses.replace(store.options, table=f"{store.options.table}sib")
        return AzureTablesStore(options)

    async def store_secrets(self, store: kv.AsyncKeyValue) -> Sequence[str]:
        """The connection string and the account key in it."""
        assert isinstance(store, AzureTablesStore)
        assert store.options.connection_string is not None
        return [store.options.connection_string, AZURITE_KEY]


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data test would be skipped.
    """
    assert hooks_for_scheme("azure-tables") is HOOKS
    assert schemes_of_store_type(AzureTablesStore) == ("azure-tables",)
