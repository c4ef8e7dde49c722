"""kv-postgresql: a kv store in one PostgreSQL table.

Once the distribution is installed,
``kv.connect("postgresql://app:secret@db.example.com/appdb?table=kv_store")`` opens it;
or build it directly with ``PostgreSQLStore("postgresql://...", table="kv_store")``. The
store (and asyncpg) is imported on first access to :class:`PostgreSQLStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_postgresql.plugin import POSTGRESQL_CAPABILITIES, PostgreSQLOptions

if TYPE_CHECKING:
    from kv_postgresql.store import PostgreSQLStore

__all__ = ["POSTGRESQL_CAPABILITIES", "PostgreSQLOptions", "PostgreSQLStore"]

__getattr__ = lazy_exports(__name__, {"PostgreSQLStore": "kv_postgresql.store"})
