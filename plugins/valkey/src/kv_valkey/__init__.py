"""kv-valkey: kv stores on Valkey (standalone, TLS, cluster).

Open one by URL once the distribution is installed::

    import kv

    store = kv.connect("valkey://localhost:6379/0")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it with ``ValkeyStore(url, **options)``. This module stays light:
:class:`ValkeyStore` is imported from :mod:`kv_valkey.store` (and with it the
``valkey`` client) on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kv_valkey.plugin import VALKEY_CAPABILITIES
    from kv_valkey.store import VALKEY_DRIVER, ValkeyOptions, ValkeyStore

__all__ = ["VALKEY_CAPABILITIES", "VALKEY_DRIVER", "ValkeyOptions", "ValkeyStore"]

_LAZY = {
    "VALKEY_CAPABILITIES": "kv_valkey.plugin",
    "VALKEY_DRIVER": "kv_valkey.store",
    "ValkeyOptions": "kv_valkey.store",
    "ValkeyStore": "kv_valkey.store",
}


def __getattr__(name: str) -> Any:
    """Import the store module on first use of one of its names."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kv_valkey' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
