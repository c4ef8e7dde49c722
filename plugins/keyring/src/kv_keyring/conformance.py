"""kv-conformance hooks of ``keyring://``: damage an entry, reopen a store.

Named by the plugin's declaration, so the conformance suite runs its
damaged-data and persistence tests on keyring stores, in the plugin's own
tests and under ``pytest --kv-url keyring://...`` or ``kv check`` (see
:mod:`kv_conformance.hooks`). Test support only: a store never imports this
module.

Under ``--kv-url`` the store uses the system's keyring: point it at a
scratch service name.
"""

from __future__ import annotations

from kv.protocols import AsyncKeyValue
from kv_keyring.naming import entry_username
from kv_keyring.store import KeyringStore

__all__ = ["HOOKS", "KeyringConformanceHooks"]


def _keyring_store(store: AsyncKeyValue) -> KeyringStore:
    if not isinstance(store, KeyringStore):
        raise TypeError(f"the keyring:// conformance hooks need a KeyringStore, not {type(store)}")
    return store


class KeyringConformanceHooks:
    """The conformance hooks of :class:`~kv_keyring.store.KeyringStore`.

    Implements :class:`kv_conformance.hooks.ConformanceHooks` (structurally:
    kv-conformance is not imported).
    """

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's password with text that is not JSON, with keyring itself.

        The backend is the store's (the one it was given, else keyring's
        default), called in the store's worker thread.
        """
        ring = _keyring_store(store)
        username = entry_username(collection, key)

        def overwrite() -> bool:
            backend = ring._resolve_backend()
            if backend.get_password(ring.service, username) is None:
                return False
            backend.set_password(ring.service, username, '{"not": "closed')
            return True

        return await ring._calls(overwrite)

    async def reopen_store(self, store: AsyncKeyValue) -> AsyncKeyValue | None:
        """A new store object on the same service and backend, with the same options."""
        return KeyringStore(_keyring_store(store).options)


HOOKS = KeyringConformanceHooks()
"""The object the plugin's declaration names."""
