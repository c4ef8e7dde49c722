"""kv-vault: a kv store in HashiCorp Vault's KV version 2 secrets engine.

Open it by URL once the distribution is installed (the token from ``VAULT_TOKEN``
or the ``token`` option)::

    import kv

    store = kv.connect("vault+https://vault.internal:8200/secret?prefix=apps/cache")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it directly with ``VaultStore("vault://127.0.0.1:8200/secret")``.
The store (and hvac) is imported on first access to :class:`VaultStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_vault.plugin import VAULT_CAPABILITIES, VaultOptions

if TYPE_CHECKING:
    from kv_vault.store import VaultStore

__all__ = ["VAULT_CAPABILITIES", "VaultOptions", "VaultStore"]

__getattr__ = lazy_exports(__name__, {"VaultStore": "kv_vault.store"})
