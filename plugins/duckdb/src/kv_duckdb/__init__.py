"""kv-duckdb: a kv store in one DuckDB table, queryable with SQL.

Once the distribution is installed, ``kv.connect("duckdb:///var/lib/app/kv.duckdb")``
opens it; or build it directly with ``DuckDBStore("kv.duckdb", table="cache")``. The
store (and duckdb) is imported on first access to :class:`DuckDBStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_duckdb.plugin import DUCKDB_CAPABILITIES, DuckDBOptions

if TYPE_CHECKING:
    from kv_duckdb.store import DuckDBStore

__all__ = ["DUCKDB_CAPABILITIES", "DuckDBOptions", "DuckDBStore"]

__getattr__ = lazy_exports(__name__, {"DuckDBStore": "kv_duckdb.store"})
