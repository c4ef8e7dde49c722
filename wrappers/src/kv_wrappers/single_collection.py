"""``SingleCollectionWrapper``: fold every collection into one collection.

For backends where collections are costly (one table, index or file each)::

    from kv_wrappers import SingleCollectionWrapper

    store = SingleCollectionWrapper(kv.connect("memory://"), single_collection="all")
    await store.put("alice", {"n": 1}, collection="users")  # key "users__alice" in "all"

Key ``k`` of collection ``c`` is stored as ``f"{c}__{k}"`` in
``single_collection`` (py-key-value's layout). A collection that contains
``%`` or would make the split ambiguous (``"a__b"``, ``"a_"``) is escaped, so
two different ``(collection, key)`` pairs never share a key. Enumeration is
translated back: ``keys(c)`` lists the keys of collection ``c``,
``collections()`` the collections that hold entries, and
``destroy_collection(c)`` deletes only ``c``'s entries.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Sequence
from typing import NoReturn, cast

import kv
from kv.errors import KeyValueError
from kv.names import validate_collection, validate_key
from kv_wrappers._capabilities import offered_by
from kv_wrappers._naming import (
    SEPARATOR,
    RenamingWrapper,
    check_collection_option,
    check_separator,
    delete_headed,
    escape_head,
    map_keys,
    renamed_names,
    split_joined,
    strip_head,
)
from kv_wrappers._support import default_collection_of
from kv_wrappers.base import _iter_keys_of

__all__ = ["SingleCollectionWrapper"]


class SingleCollectionWrapper(RenamingWrapper):
    """Keep every collection's entries in one collection of the wrapped store.

    Args:
        key_value: The store to wrap.
        single_collection: The wrapped store's collection that holds everything.
        default_collection: The collection used for ``collection=None``.
            Defaults to the wrapped store's own default collection name.
        separator: Between the collection and the key; ``"__"`` by default.
            Any non-empty string without ``%``.

    Attributes:
        single_collection: The collection that holds everything.
        default_collection: The collection used for ``collection=None``.
        separator: The separator.
    """

    def __init__(
        self,
        key_value: kv.AsyncKeyValue,
        single_collection: str,
        default_collection: str | None = None,
        separator: str | None = None,
    ) -> None:
        self.single_collection = check_collection_option(single_collection, "single_collection")
        if default_collection is None:
            default_collection = default_collection_of(key_value)
        self.default_collection: str = check_collection_option(
            default_collection, "default_collection"
        )
        self.separator = SEPARATOR if separator is None else check_separator(separator)
        self._default_head = self._head(self.default_collection)
        super().__init__(key_value)

    _shown = ("single_collection",)

    # --- names -------------------------------------------------------------------

    def _head(self, collection: str) -> str:
        return escape_head(collection, self.separator) + self.separator

    def _head_of(self, collection: str | None) -> str:
        if collection is None:
            return self._default_head
        return self._head(validate_collection(collection))

    def _split(self, physical: str) -> tuple[str, str] | None:
        return split_joined(physical, self.separator)

    def _key(self, key: str, collection: str | None) -> str:
        return self._head_of(collection) + validate_key(key)

    def _keys(self, keys: Sequence[str], collection: str | None) -> list[str]:
        return map_keys(keys, self._head_of(collection).__add__)

    def _collection(self, collection: str | None) -> str:
        return self.single_collection

    def _reraise(self, error: KeyValueError) -> NoReturn:
        if error.collection == self.single_collection:
            split = None if error.key is None else self._split(error.key)
            if split is not None:
                error.collection, error.key = split
        raise error

    # --- capabilities ------------------------------------------------------------------

    def _offered_operations(self) -> frozenset[str]:
        inner = offered_by(self.key_value)
        offered: set[str] = set()
        if "enumerate_keys" in inner:
            offered |= {"enumerate_keys", "enumerate_collections", "destroy_collection"}
        if "destroy_collection" in inner:
            offered.add("destroy")  # everything this wrapper holds is one collection
        offered |= inner & {"cull", "atomic"}
        return frozenset(offered) & self.passes_through

    def _walk(self, page_size: int | None) -> AsyncGenerator[str, None]:
        return _iter_keys_of(self.key_value, self.single_collection, page_size)

    def _pass_iter_keys(
        self, collection: str | None, page_size: int | None
    ) -> AsyncGenerator[str, None]:
        head = self._head_of(collection)
        return renamed_names(self._walk(page_size), functools.partial(strip_head, head))

    async def _pass_iter_collections(self, page_size: int | None) -> AsyncGenerator[str, None]:
        seen: set[str] = set()
        walk = self._walk(page_size)
        try:
            async for physical in walk:
                split = self._split(physical)
                if split is not None and split[0] not in seen:
                    seen.add(split[0])
                    yield split[0]
        finally:
            await walk.aclose()

    async def _pass_destroy(self) -> bool:
        destroyer = cast(kv.DestroyCollection, self.key_value)
        return bool(await destroyer.destroy_collection(self.single_collection))

    async def _pass_destroy_collection(self, collection: str) -> bool:
        head = self._head_of(collection)
        return await delete_headed(self.key_value, self.single_collection, head) > 0
