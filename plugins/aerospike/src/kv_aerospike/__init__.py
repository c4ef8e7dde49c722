"""kv-aerospike: a kv store in one Aerospike set.

Once the distribution is installed,
``kv.connect("aerospike://127.0.0.1:3000/test/kv-store")`` opens it; or build it
directly with ``AerospikeStore("aerospike://127.0.0.1:3000/test/kv-store")``. The store
(and the aerospike client) is imported on first access to :class:`AerospikeStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_aerospike.plugin import AEROSPIKE_CAPABILITIES, AerospikeOptions

if TYPE_CHECKING:
    from kv_aerospike.store import AerospikeStore

__all__ = ["AEROSPIKE_CAPABILITIES", "AerospikeOptions", "AerospikeStore"]

__getattr__ = lazy_exports(__name__, {"AerospikeStore": "kv_aerospike.store"})
