"""How kv-conformance damages an entry of an ``aerospike://`` store.

Found by name (``HOOKS``) by the suite, which alone imports this module. The
entry is overwritten by a client of its own, built from the store's options,
outside the store's API.
"""

from __future__ import annotations

import aerospike
from aerospike import exception

from kv.blocking import BlockingCalls
from kv.protocols import AsyncKeyValue
from kv_aerospike.policies import client_config
from kv_aerospike.records import VALUE_BIN, record_key
from kv_aerospike.store import AerospikeStore
from kv_conformance.hooks import store_of_type

__all__ = ["HOOKS", "AerospikeConformanceHooks"]

DAMAGED = '{"not": "closed'
"""What the damaged entry's ``value`` bin holds: text that is not JSON."""


def _overwrite(store: AerospikeStore, collection: str, key: str) -> bool:
    """Set the record's ``value`` bin to text that is not JSON; whether it existed."""
    record = record_key(store.namespace, store.set_name, collection, key)
    client = aerospike.client(client_config(store.options))
    try:
        try:
            client.get(record)
        except exception.RecordNotFound:
            return False
        client.put(record, {VALUE_BIN: DAMAGED})
        return True
    finally:
        client.close()


class AerospikeConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_aerospike.store.AerospikeStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the record's document with text that is not JSON, with a client
        of its own (in a worker thread: the client blocks)."""
        aerospike_store = store_of_type(store, AerospikeStore)
        calls = BlockingCalls(inline_budget=None)
        return await calls(_overwrite, aerospike_store, collection, key)


HOOKS = AerospikeConformanceHooks()
"""The object the suite finds by name."""
