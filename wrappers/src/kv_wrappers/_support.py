"""Small helpers of the wrappers that change values or refuse calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from kv_wrappers._naming import default_collection_of

__all__ = [
    "check_keys_argument",
    "check_put_many_lengths",
    "collection_name",
]


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
