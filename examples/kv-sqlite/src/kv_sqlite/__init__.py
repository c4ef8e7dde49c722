"""kv-sqlite: an example third-party kv plugin, a store in one SQLite file.

Once the distribution is installed, ``kv.connect("sqlite:///var/lib/app/kv.db")`` opens
it; or build it directly with ``SQLiteStore("kv.db", table="cache")``. The store (and
sqlite3) is imported on first access to :class:`SQLiteStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_sqlite.plugin import SQLITE_CAPABILITIES, SQLiteOptions

if TYPE_CHECKING:
    from kv_sqlite.store import SQLiteStore

__all__ = ["SQLITE_CAPABILITIES", "SQLiteOptions", "SQLiteStore"]

__getattr__ = lazy_exports(__name__, {"SQLiteStore": "kv_sqlite.store"})
