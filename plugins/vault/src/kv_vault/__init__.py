"""kv-vault: entries as secrets of HashiCorp Vault's KV version 2 engine.

``kv.connect("vault+https://vault.internal:8200/secret?prefix=apps/cache")``
opens a store once the distribution is installed (the token comes from
``VAULT_TOKEN`` or the ``token`` option), as does
``VaultStore("vault://127.0.0.1:8200/secret")``. Importing this package
imports neither hvac nor the store module: :class:`VaultStore` is loaded
when first used.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_vault.plugin import VAULT_CAPABILITIES, VaultOptions

__all__ = ["VAULT_CAPABILITIES", "VaultOptions", "VaultStore"]
__getattr__ = lazy_exports(__name__, {"VaultStore": "kv_vault.store"})

if TYPE_CHECKING:
    from kv_vault.store import VaultStore
