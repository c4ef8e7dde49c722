"""``PrefixKeysWrapper``: every key gets a prefix in the wrapped store.

Several users of one collection stay apart, each behind its own prefix::

    from kv_wrappers import PrefixKeysWrapper

    tenant = PrefixKeysWrapper(kv.connect("memory://"), prefix="tenant-7")
    await tenant.put("alice", {"n": 1}, collection="users")  # key "tenant-7__alice"

Key ``k`` is stored as ``f"{prefix}__{k}"`` (py-key-value's layout); a prefix
that contains ``%`` or would make the split ambiguous (``"a__b"``, ``"a_"``)
is escaped, so two wrappers with different prefixes never share a key.
``keys()`` lists only this prefix's keys, without the prefix;
``collections()`` lists the collections that hold at least one of them, and
``destroy()`` / ``destroy_collection()`` delete only them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence

import kv
from kv.names import validate_key
from kv_wrappers._capabilities import offered_by
from kv_wrappers._naming import (
    SEPARATOR,
    RenamingWrapper,
    check_prefix,
    delete_headed,
    escape_head,
    map_keys,
    renamed_names,
    strip_head,
)
from kv_wrappers.base import _iter_collections_of, _iter_keys_of

__all__ = ["PrefixKeysWrapper"]


class PrefixKeysWrapper(RenamingWrapper):
    """Store every key under ``prefix`` in the wrapped store.

    Args:
        key_value: The store to wrap.
        prefix: Any non-empty name.

    Attributes:
        prefix: The prefix.
    """

    renamed = "key"

    def __init__(self, key_value: kv.AsyncKeyValue, prefix: str) -> None:
        self.prefix = check_prefix(prefix)
        self._head = escape_head(self.prefix) + SEPARATOR
        super().__init__(key_value)

    _shown = ("prefix",)

    # --- names -------------------------------------------------------------------

    def _key(self, key: str, collection: str | None) -> str:
        return self._head + validate_key(key)

    def _keys(self, keys: Sequence[str], collection: str | None) -> list[str]:
        return map_keys(keys, self._head.__add__)

    def _logical(self, physical: str) -> str | None:
        return strip_head(self._head, physical)

    # --- capabilities ------------------------------------------------------------------

    def _offered_operations(self) -> frozenset[str]:
        inner = offered_by(self.key_value)
        offered: set[str] = set()
        if "enumerate_keys" in inner:
            offered |= {"enumerate_keys", "destroy_collection"}
            if "enumerate_collections" in inner:
                offered |= {"enumerate_collections", "destroy"}
        offered |= inner & {"cull", "atomic"}
        return frozenset(offered) & self.passes_through

    def _pass_iter_keys(
        self, collection: str | None, page_size: int | None
    ) -> AsyncGenerator[str, None]:
        return renamed_names(_iter_keys_of(self.key_value, collection, page_size), self._logical)

    async def _holds_mine(self, collection: str) -> bool:
        walk = self._pass_iter_keys(collection, None)
        try:
            async for _ in walk:
                return True
            return False
        finally:
            await walk.aclose()

    async def _pass_iter_collections(self, page_size: int | None) -> AsyncGenerator[str, None]:
        walk = _iter_collections_of(self.key_value, page_size)
        try:
            async for collection in walk:
                if await self._holds_mine(collection):
                    yield collection
        finally:
            await walk.aclose()

    async def _delete_mine(self, collection: str | None) -> int:
        return await delete_headed(self.key_value, collection, self._head)

    async def _pass_destroy(self) -> bool:
        collections = [name async for name in self._pass_iter_collections(None)]
        deleted = 0
        for collection in collections:
            deleted += await self._delete_mine(collection)
        return deleted > 0

    async def _pass_destroy_collection(self, collection: str) -> bool:
        return await self._delete_mine(collection) > 0
