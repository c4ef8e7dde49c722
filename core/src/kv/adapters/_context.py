"""Names for adapters' error messages and logs: the store, collection and type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_args

if TYPE_CHECKING:
    from kv.protocols import AsyncKeyValue

__all__ = ["context_collection", "context_store", "type_name"]


def context_collection(key_value: AsyncKeyValue, collection: str | None) -> str | None:
    """Name the collection a call used; for messages only, never passed to the store.

    ``None`` means the store's default collection, named when the store
    exposes it as a ``default_collection`` attribute (as every ``BaseStore``
    does).
    """
    if collection is not None:
        return collection
    default = getattr(key_value, "default_collection", None)
    return default if isinstance(default, str) else None


def context_store(key_value: AsyncKeyValue) -> str:
    """Name the store: its ``store_name`` if it has one, else its class name."""
    name = getattr(key_value, "store_name", None)
    return name if isinstance(name, str) and name else type(key_value).__name__


def type_name(tp: Any) -> str:
    """A short readable name of a type: ``User``, ``list[app.User]``, ``int | None``."""
    if tp is None or tp is type(None):
        return "None"
    if isinstance(tp, type) and not get_args(tp):
        return tp.__name__
    return repr(tp).replace("typing.", "")
