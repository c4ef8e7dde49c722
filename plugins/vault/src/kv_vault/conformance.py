"""How kv-conformance damages an entry of a ``vault://`` store.

Found by name (``HOOKS``) by kv-conformance; only the suite imports it. The
secret is overwritten with a client of its own (hvac, not the store's API).
"""

from __future__ import annotations

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_vault.client import VaultCalls, make_client
from kv_vault.store import VaultStore

__all__ = ["HOOKS", "VaultConformanceHooks"]

DAMAGED = {"value": '{"not": "closed'}
"""Secret data whose ``value`` is not a JSON document."""


def _damage(store: VaultStore, path: str) -> bool:
    vault = VaultCalls(make_client(store.options), store.options.mount)
    try:
        if vault.read(path) is None:
            return False
        vault.write(path, DAMAGED)
        return True
    finally:
        vault.close()


class VaultConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_vault.store.VaultStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Write a new version of the entry's secret whose ``value`` is not a document."""
        import anyio.to_thread

        vault_store = store_of_type(store, VaultStore)
        path = vault_store.layout.path(collection, key)
        return await anyio.to_thread.run_sync(_damage, vault_store, path)


HOOKS = VaultConformanceHooks()
"""The object kv-conformance finds by name."""
