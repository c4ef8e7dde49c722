"""What a wrapped store offers, for wrappers that derive their own capabilities."""

from __future__ import annotations

from collections.abc import Iterable

from kv.capabilities import OPTIONAL_OPERATIONS
from kv_wrappers.base import _offers

__all__ = ["offered_by", "offered_by_all"]


def offered_by(store: object) -> frozenset[str]:
    """The optional capability flags ``store`` offers (it has the methods)."""
    return frozenset(flag for flag in OPTIONAL_OPERATIONS if _offers(store, flag))


def offered_by_all(stores: Iterable[object]) -> frozenset[str]:
    """The optional capability flags every one of ``stores`` offers."""
    result = frozenset(OPTIONAL_OPERATIONS)
    any_store = False
    for store in stores:
        any_store = True
        result &= offered_by(store)
    return result if any_store else frozenset()
