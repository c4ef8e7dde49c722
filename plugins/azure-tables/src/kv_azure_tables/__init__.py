"""kv-azure-tables: a kv store in one Azure Tables (or Cosmos DB Table API) table.

Once the distribution is installed, ``kv.connect("azure-tables://myaccount/kvstore")``
opens it (AZURE_STORAGE_* for credentials); or build it directly with
``AzureTablesStore("azure-tables://myaccount/kvstore", connection_string=...)``. The
store (and azure-data-tables) is imported on first access to :class:`AzureTablesStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_azure_tables.plugin import AZURE_TABLES_CAPABILITIES, AzureTablesOptions

if TYPE_CHECKING:
    from kv_azure_tables.store import AzureTablesStore

__all__ = ["AZURE_TABLES_CAPABILITIES", "AzureTablesOptions", "AzureTablesStore"]

__getattr__ = lazy_exports(__name__, {"AzureTablesStore": "kv_azure_tables.store"})
