"""kv-wrappers: stackable wrappers for any kv store.

Every wrapper implements :class:`kv.AsyncKeyValue` over another store, so
wrappers stack in any order::

    import kv
    from kv_wrappers import CompressionWrapper, LoggingWrapper

    store = LoggingWrapper(CompressionWrapper(kv.connect("memory://")))

Optional capabilities (``keys``, ``collections``, ``destroy``, ``atomic``...)
pass through a wrapper when the wrapped store has them and the wrapper can
keep their meaning; see docs/wrappers.md.
Each wrapper lives in its own module and is imported on first use, so
``import kv_wrappers`` stays cheap and the encryption wrapper needs
``cryptography`` (the ``kv-wrappers[encryption]`` extra) only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kv_wrappers.base import BaseWrapper, capabilities_of

if TYPE_CHECKING:
    from kv_wrappers.compression import CompressionWrapper
    from kv_wrappers.default_value import DefaultValueWrapper
    from kv_wrappers.encryption import FernetEncryptionWrapper
    from kv_wrappers.fallback import FallbackWrapper
    from kv_wrappers.limit_size import LimitSizeWrapper
    from kv_wrappers.logging import LoggingWrapper
    from kv_wrappers.passthrough_cache import PassthroughCacheWrapper
    from kv_wrappers.prefix_collections import PrefixCollectionsWrapper
    from kv_wrappers.prefix_keys import PrefixKeysWrapper
    from kv_wrappers.read_only import ReadOnlyWrapper
    from kv_wrappers.retry import RetryWrapper
    from kv_wrappers.routing import CollectionRoutingWrapper, RoutingWrapper
    from kv_wrappers.single_collection import SingleCollectionWrapper
    from kv_wrappers.statistics import StatisticsWrapper
    from kv_wrappers.timeout import TimeoutWrapper
    from kv_wrappers.transform import ValueTransformWrapper
    from kv_wrappers.ttl_clamp import TTLClampWrapper

__all__ = [
    "BaseWrapper",
    "CollectionRoutingWrapper",
    "CompressionWrapper",
    "DefaultValueWrapper",
    "FallbackWrapper",
    "FernetEncryptionWrapper",
    "LimitSizeWrapper",
    "LoggingWrapper",
    "PassthroughCacheWrapper",
    "PrefixCollectionsWrapper",
    "PrefixKeysWrapper",
    "ReadOnlyWrapper",
    "RetryWrapper",
    "RoutingWrapper",
    "SingleCollectionWrapper",
    "StatisticsWrapper",
    "TTLClampWrapper",
    "TimeoutWrapper",
    "ValueTransformWrapper",
    "capabilities_of",
]

_LAZY: dict[str, str] = {
    "CompressionWrapper": "compression",
    "FernetEncryptionWrapper": "encryption",
    "FallbackWrapper": "fallback",
    "LimitSizeWrapper": "limit_size",
    "LoggingWrapper": "logging",
    "PassthroughCacheWrapper": "passthrough_cache",
    "ReadOnlyWrapper": "read_only",
    "DefaultValueWrapper": "default_value",
    "PrefixCollectionsWrapper": "prefix_collections",
    "PrefixKeysWrapper": "prefix_keys",
    "SingleCollectionWrapper": "single_collection",
    "RetryWrapper": "retry",
    "StatisticsWrapper": "statistics",
    "TimeoutWrapper": "timeout",
    "TTLClampWrapper": "ttl_clamp",
    "RoutingWrapper": "routing",
    "CollectionRoutingWrapper": "routing",
    "ValueTransformWrapper": "transform",
}
"""Wrapper name -> the module of ``kv_wrappers`` that defines it."""


def __getattr__(name: str) -> Any:
    """Import a wrapper's module the first time the wrapper is used."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kv_wrappers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"kv_wrappers.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
