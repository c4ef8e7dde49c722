"""kv: one async key-value protocol, many backends, chosen by URL.

    import kv

    store = kv.connect("memory://")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)
    await store.get("alice", collection="users")

Framework code depends on :class:`kv.AsyncKeyValue`; users pick the backend
by installing a plugin (``kv-redis``, ``kv-disk``, ...) and naming it with a
URL. See the documentation in ``docs/`` for the rules every store follows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kv import errors
from kv.atomic import AtomicKeyValue, Versioned
from kv.capabilities import Capabilities
from kv.connect import connect
from kv.errors import (
    ArgumentTypeError,
    ArgumentValueError,
    ConflictError,
    DeserializationError,
    EntryTooLargeError,
    InvalidKeyError,
    InvalidOptionError,
    InvalidTTLError,
    InvalidURLError,
    KeyValueError,
    KeyValueOperationError,
    MissingKeyError,
    PathSecurityError,
    PluginConflictError,
    PluginError,
    PluginLoadError,
    ReadOnlyError,
    SerializationError,
    StoreClosedError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
    UnknownSchemeError,
    UnsupportedOperationError,
)
from kv.protocols import (
    AsyncKeyValue,
    Cull,
    DestroyCollection,
    DestroyStore,
    EnumerateCollections,
    EnumerateKeys,
    Store,
)
from kv.url import StoreURL

if TYPE_CHECKING:
    from kv.discovery import PluginRegistry
    from kv.store import BaseStore
    from kv.stores.memory import MemoryStore
    from kv.stores.null import NullStore

__version__: str  # kv-core's installed version, read on first use (kv._version)

__all__ = [
    "ArgumentTypeError",
    "ArgumentValueError",
    "AsyncKeyValue",
    "AtomicKeyValue",
    "BaseStore",
    "Capabilities",
    "ConflictError",
    "Cull",
    "DeserializationError",
    "DestroyCollection",
    "DestroyStore",
    "EntryTooLargeError",
    "EnumerateCollections",
    "EnumerateKeys",
    "InvalidKeyError",
    "InvalidOptionError",
    "InvalidTTLError",
    "InvalidURLError",
    "KeyValueError",
    "KeyValueOperationError",
    "MemoryStore",
    "MissingKeyError",
    "NullStore",
    "PathSecurityError",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "PluginRegistry",
    "ReadOnlyError",
    "SerializationError",
    "Store",
    "StoreClosedError",
    "StoreConnectionError",
    "StoreError",
    "StoreSetupError",
    "StoreTimeoutError",
    "StoreURL",
    "UnknownSchemeError",
    "UnsupportedOperationError",
    "Versioned",
    "__version__",
    "connect",
    "errors",
    "registry",
]

_LAZY = {
    "BaseStore": ("kv.store", "BaseStore"),
    "MemoryStore": ("kv.stores.memory", "MemoryStore"),
    "NullStore": ("kv.stores.null", "NullStore"),
    "registry": ("kv.discovery", "registry"),
    "PluginRegistry": ("kv.discovery", "PluginRegistry"),
    "__version__": ("kv._version", "VERSION"),
}

registry: PluginRegistry


def __getattr__(name: str) -> Any:
    """Import rarely needed names on first use, to keep ``import kv`` fast."""
    if name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module_name), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kv' has no attribute {name!r}")
