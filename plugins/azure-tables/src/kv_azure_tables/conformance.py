"""How kv-conformance damages an entry of an ``azure-tables://`` store.

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it. The entity is replaced with the table's own client, outside
the store's API.
"""

from __future__ import annotations

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from kv.protocols import AsyncKeyValue
from kv_azure_tables.clients import TableClients, resolve_target
from kv_azure_tables.entities import VALUE
from kv_azure_tables.names import encode_name
from kv_azure_tables.store import AzureTablesStore
from kv_conformance.hooks import store_of_type

__all__ = ["HOOKS", "AzureTablesConformanceHooks"]


class AzureTablesConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_azure_tables.store.AzureTablesStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Replace the entity with one whose ``Value`` is not JSON, with a client of its own."""
        store = store_of_type(store, AzureTablesStore)
        await store.setup()  # the table exists
        client = await TableClients(resolve_target(store.options), store.options).new()
        partition, row = encode_name(collection), encode_name(key)
        async with client:
            try:
                await client.get_entity(partition, row, select=["RowKey"])
            except ResourceNotFoundError:
                return False
            damaged = {"PartitionKey": partition, "RowKey": row, VALUE: '{"not": "closed'}
            await client.upsert_entity(damaged, mode=UpdateMode.REPLACE)
        return True


HOOKS = AzureTablesConformanceHooks()
"""The object the plugin's declaration names."""
