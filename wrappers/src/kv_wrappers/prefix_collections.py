"""``PrefixCollectionsWrapper``: every collection gets a prefix in the wrapped store.

Several applications can share one store, each behind its own prefix::

    from kv_wrappers import PrefixCollectionsWrapper

    app = PrefixCollectionsWrapper(kv.connect("memory://"), prefix="app1")
    await app.put("alice", {"n": 1}, collection="users")  # stored in "app1__users"

Collection ``c`` is stored as ``f"{prefix}__{c}"`` (py-key-value's layout);
``collection=None`` is the wrapped store's own default collection, prefixed.
A prefix that contains ``%`` or would make the split ambiguous (``"a__b"``,
``"a_"``) is escaped, so two wrappers with different prefixes never share a
collection. ``collections()`` lists only this prefix's collections, without
the prefix; ``destroy()`` destroys only them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import cast

import kv
from kv.names import validate_collection
from kv_wrappers._capabilities import offered_by
from kv_wrappers._naming import (
    SEPARATOR,
    RenamingWrapper,
    check_collection_option,
    check_prefix,
    escape_head,
    renamed_names,
    strip_head,
)
from kv_wrappers._support import default_collection_of
from kv_wrappers.base import _iter_collections_of, _iter_keys_of

__all__ = ["PrefixCollectionsWrapper"]


class PrefixCollectionsWrapper(RenamingWrapper):
    """Store every collection under ``prefix`` in the wrapped store.

    Args:
        key_value: The store to wrap.
        prefix: Any non-empty name.
        default_collection: The collection used for ``collection=None``
            (prefixed like any other). Defaults to the wrapped store's own
            default collection.

    Attributes:
        prefix: The prefix.
        default_collection: The (unprefixed) default collection.
    """

    renamed = "collection"

    def __init__(
        self, key_value: kv.AsyncKeyValue, prefix: str, default_collection: str | None = None
    ) -> None:
        self.prefix = check_prefix(prefix)
        if default_collection is None:
            default_collection = default_collection_of(key_value)
        self.default_collection: str = check_collection_option(
            default_collection, "default_collection"
        )
        self._head = escape_head(self.prefix) + SEPARATOR
        self._default = self._head + self.default_collection
        super().__init__(key_value)

    _shown = ("prefix",)

    # --- names -------------------------------------------------------------------

    def _collection(self, collection: str | None) -> str:
        if collection is None:
            return self._default
        return self._head + validate_collection(collection)

    def _logical(self, physical: str) -> str | None:
        return strip_head(self._head, physical)

    # --- capabilities ------------------------------------------------------------------

    def _offered_operations(self) -> frozenset[str]:
        inner = offered_by(self.key_value)
        offered = set(inner & {"enumerate_keys", "enumerate_collections", "destroy_collection"})
        offered |= inner & {"cull", "atomic"}
        if {"enumerate_collections", "destroy_collection"} <= inner:
            offered.add("destroy")  # destroy only this prefix's collections
        return frozenset(offered) & self.passes_through

    def _pass_iter_keys(
        self, collection: str | None, page_size: int | None
    ) -> AsyncGenerator[str, None]:
        return _iter_keys_of(self.key_value, self._collection(collection), page_size)

    def _pass_iter_collections(self, page_size: int | None) -> AsyncGenerator[str, None]:
        return renamed_names(_iter_collections_of(self.key_value, page_size), self._logical)

    async def _pass_destroy(self) -> bool:
        mine = [name async for name in self._pass_iter_collections(None)]
        destroyer = cast(kv.DestroyCollection, self.key_value)
        destroyed = False
        for name in mine:
            destroyed = bool(await destroyer.destroy_collection(self._head + name)) or destroyed
        return destroyed

    async def _pass_destroy_collection(self, collection: str) -> bool:
        physical = self._collection(collection)
        destroyer = cast(kv.DestroyCollection, self.key_value)
        return bool(await self._call(lambda: destroyer.destroy_collection(physical)))
