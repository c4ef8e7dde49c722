"""``ReadOnlyWrapper``: reads pass through, writes are refused.

The wrapper declares the ``read_only`` capability, so the conformance suite
(and any caller) knows writes will not happen. ``destroy``,
``destroy_collection`` and ``cull`` are not offered; enumeration is.

Over a store with the ``atomic`` capability the wrapper keeps it, as a
read-only store: ``get_versioned`` reads the wrapped store, and the
conditional writes are refused like ``put`` and ``delete`` (``ReadOnlyError``
naming ``put_if_absent``, ``put_if_version`` or ``delete_if_version``; or,
with ``raise_on_write=False``, nothing is written and they return ``False``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, SupportsFloat

import kv
from kv._typecheck import typechecked
from kv.capabilities import Capabilities
from kv.errors import ReadOnlyError
from kv_wrappers._support import check_keys_argument, collection_name
from kv_wrappers.base import BaseWrapper

__all__ = ["ReadOnlyWrapper"]


class ReadOnlyWrapper(BaseWrapper):
    """Refuse every write to the wrapped store.

    Args:
        key_value: The store to wrap.
        raise_on_write: ``True`` (default): ``put``, ``put_many``, ``delete``
            and ``delete_many`` raise :class:`kv.ReadOnlyError`, whose
            ``operation`` attribute and message name the call, and whose
            message names the key and collection. ``False``: writes are
            ignored; ``delete`` returns ``False`` and ``delete_many`` ``0``.
            The conditional writes of the ``atomic`` capability are refused
            (or ignored, returning ``False``) the same way.
    """

    passes_through: ClassVar[frozenset[str]] = frozenset(
        {"enumerate_keys", "enumerate_collections", "atomic"}
    )

    def __init__(self, key_value: kv.AsyncKeyValue, raise_on_write: bool = True) -> None:
        self.raise_on_write = bool(raise_on_write)
        super().__init__(key_value)

    def _adjust_capabilities(self, capabilities: Capabilities) -> Capabilities:
        return replace(capabilities, read_only=True)

    def _refuse(self, operation: str, collection: str | None, key: str | None, count: int) -> None:
        if not self.raise_on_write:
            return
        what = f"{operation}() of {count} keys" if key is None else f"{operation}()"
        raise ReadOnlyError(
            f"The store is read-only: {what} refused",
            operation=operation,
            store=type(self).__name__,
            collection=collection_name(self.key_value, collection),
            key=key,
        )

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Refuse (or ignore) the write."""
        self._refuse("put", collection, key, 1)

    @typechecked
    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Refuse (or ignore) the writes."""
        check_keys_argument(keys)
        self._refuse("put_many", collection, None, len(keys))

    @typechecked
    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Refuse the delete (or ignore it and return ``False``)."""
        self._refuse("delete", collection, key, 1)
        return False

    @typechecked
    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Refuse the deletes (or ignore them and return ``0``)."""
        check_keys_argument(keys)
        self._refuse("delete_many", collection, None, len(keys))
        return 0

    # --- atomic: versions are read, conditional writes refused -------------------------

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        self._refuse("put_if_absent", collection, key, 1)
        return False

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        self._refuse("put_if_version", collection, key, 1)
        return False

    async def _pass_delete_if_version(self, key: str, version: str, collection: str | None) -> bool:
        self._refuse("delete_if_version", collection, key, 1)
        return False
