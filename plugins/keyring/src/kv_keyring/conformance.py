"""How kv-conformance damages an entry of a ``keyring://`` store.

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it. Under ``--kv-url`` the store uses the system's keyring:
point it at a scratch service name.
"""

from __future__ import annotations

from kv.protocols import AsyncKeyValue
from kv_conformance.hooks import store_of_type
from kv_keyring.naming import entry_username
from kv_keyring.store import KeyringStore

__all__ = ["HOOKS", "KeyringConformanceHooks"]


class KeyringConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_keyring.store.KeyringStore`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's password with text that is not JSON, with keyring itself.

        The backend is the store's (the one it was given, else keyring's
        default), called in the store's worker thread.
        """
        store = store_of_type(store, KeyringStore)
        ring = store
        username = entry_username(collection, key)

        def overwrite() -> bool:
            backend = ring._resolve_backend()
            if backend.get_password(ring.options.service, username) is None:
                return False
            backend.set_password(ring.options.service, username, '{"not": "closed')
            return True

        return await ring._engine.calls(overwrite)


HOOKS = KeyringConformanceHooks()
"""The object the plugin's declaration names."""
