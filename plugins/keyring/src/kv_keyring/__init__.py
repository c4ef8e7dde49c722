"""kv-keyring: a kv store in the operating system's keyring.

Open it by URL once the distribution is installed::

    import kv

    store = kv.connect("keyring://my-app")
    await store.put("github", {"token": "..."}, collection="oauth", ttl=3600)

or build it directly with ``KeyringStore(service="my-app")``. This package
module stays light: :class:`KeyringStore` and :class:`KeyringOptions` are
imported from :mod:`kv_keyring.store` on first access, so
``import kv_keyring.plugin`` (what kv does to list plugins) never imports
:mod:`keyring`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_keyring.plugin import KEYRING_CAPABILITIES
    from kv_keyring.store import KeyringOptions, KeyringStore

__all__ = ["KEYRING_CAPABILITIES", "KeyringOptions", "KeyringStore"]

_LAZY = {
    "KEYRING_CAPABILITIES": "kv_keyring.plugin",
    "KeyringOptions": "kv_keyring.store",
    "KeyringStore": "kv_keyring.store",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_keyring' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
