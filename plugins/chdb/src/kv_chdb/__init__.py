"""kv-chdb: a kv store in a table of embedded ClickHouse (chDB).

Once the distribution is installed, ``kv.connect("chdb:///var/lib/app/kv")`` opens it;
or build it directly with ``ChDBStore("kv", table="cache")``. The store (and chDB) is
imported on first access to :class:`ChDBStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_chdb.plugin import CHDB_CAPABILITIES, ChDBOptions

if TYPE_CHECKING:
    from kv_chdb.store import ChDBStore

__all__ = ["CHDB_CAPABILITIES", "ChDBOptions", "ChDBStore"]

__getattr__ = lazy_exports(__name__, {"ChDBStore": "kv_chdb.store"})
