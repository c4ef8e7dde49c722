"""Small helpers shared by several wrappers: checks of arguments, names for messages, counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from kv.names import DEFAULT_COLLECTION, declared_default_collection

__all__ = [
    "check_keys_argument",
    "check_put_many_lengths",
    "collection_name",
    "count_found",
    "default_collection_of",
]


def default_collection_of(store: object) -> str:
    """The collection ``store`` uses for ``collection=None``.

    Read from the store's ``default_collection`` attribute; wrappers without
    one are looked through (their ``key_value``). Falls back to
    ``"default_collection"``, every kv store's default.
    """
    return declared_default_collection(store) or DEFAULT_COLLECTION


def collection_name(store: object, collection: str | None) -> str:
    """The collection a call is about, for messages: ``None`` means the store's default."""
    return default_collection_of(store) if collection is None else collection


def check_keys_argument(keys: Sequence[str]) -> None:
    """Refuse a single ``str`` where a sequence of keys is expected."""
    if isinstance(keys, (str, bytes)):
        raise TypeError("keys must be a sequence of str, not a single str")


def check_put_many_lengths(keys: Sequence[str], values: Sequence[Mapping[str, Any]]) -> None:
    """Refuse ``put_many`` arguments of different lengths, as every store does."""
    if isinstance(cast(object, values), (str, bytes)) or len(values) != len(keys):
        raise ValueError(
            f"put_many got {len(keys)} keys but {len(values)} values; nothing was written"
        )


def count_found(values: Sequence[object]) -> int:
    """How many of a bulk read's ``values`` were found (are not ``None``)."""
    return sum(1 for value in values if value is not None)
