"""Reads that fail loudly on absent keys: :class:`RaiseOnMissingAdapter`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, SupportsFloat, overload

from kv.adapters._context import context_collection, context_store
from kv.errors import MissingKeyError

if TYPE_CHECKING:
    from kv.protocols import AsyncKeyValue

__all__ = ["RaiseOnMissingAdapter"]


class RaiseOnMissingAdapter:
    """Wraps a store so reads can raise :class:`~kv.errors.MissingKeyError`.

    ``get``, ``get_many``, ``ttl`` and ``ttl_many`` take
    ``raise_on_missing``: when true, an absent (or expired) key raises
    :class:`~kv.errors.MissingKeyError` (also a ``KeyError``) naming the
    operation, the collection and the key, instead of giving ``None``. The
    other methods pass straight through. Like every adapter, this is not an
    :class:`~kv.AsyncKeyValue` itself.

    Args:
        key_value: The store to wrap.
    """

    def __init__(self, key_value: AsyncKeyValue) -> None:
        self.key_value: AsyncKeyValue = key_value

    def __repr__(self) -> str:
        return f"<RaiseOnMissingAdapter store={self.key_value!r}>"

    def _missing(self, operation: str, key: str, collection: str | None) -> MissingKeyError:
        return MissingKeyError(
            f"{operation}() found no value for the key",
            operation=operation,
            store=context_store(self.key_value),
            collection=context_collection(self.key_value, collection),
            key=key,
        )

    @overload
    async def get(
        self, key: str, *, collection: str | None = None, raise_on_missing: Literal[False] = False
    ) -> dict[str, Any] | None: ...
    @overload
    async def get(
        self, key: str, *, collection: str | None = None, raise_on_missing: Literal[True]
    ) -> dict[str, Any]: ...
    @overload
    async def get(
        self, key: str, *, collection: str | None = None, raise_on_missing: bool
    ) -> dict[str, Any] | None: ...
    async def get(
        self, key: str, *, collection: str | None = None, raise_on_missing: bool = False
    ) -> dict[str, Any] | None:
        """Return the value under ``key``; ``None`` if absent, unless ``raise_on_missing``.

        Raises:
            MissingKeyError: the key is absent and ``raise_on_missing`` is true.
        """
        value = await self.key_value.get(key, collection=collection)
        if value is None and raise_on_missing:
            raise self._missing("get", key, collection)
        return value

    @overload
    async def get_many(
        self,
        keys: Sequence[str],
        *,
        collection: str | None = None,
        raise_on_missing: Literal[False] = False,
    ) -> list[dict[str, Any] | None]: ...
    @overload
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None, raise_on_missing: Literal[True]
    ) -> list[dict[str, Any]]: ...
    @overload
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None, raise_on_missing: bool
    ) -> list[dict[str, Any] | None]: ...
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None, raise_on_missing: bool = False
    ) -> list[dict[str, Any]] | list[dict[str, Any] | None]:
        """Return the values of ``keys`` in input order, ``None`` where absent.

        Raises:
            MissingKeyError: with ``raise_on_missing``, for the first absent
                key in input order.
        """
        values = await self.key_value.get_many(keys, collection=collection)
        if raise_on_missing:
            for key, value in zip(keys, values):
                if value is None:
                    raise self._missing("get_many", key, collection)
        return values

    @overload
    async def ttl(
        self, key: str, *, collection: str | None = None, raise_on_missing: Literal[False] = False
    ) -> tuple[dict[str, Any] | None, float | None]: ...
    @overload
    async def ttl(
        self, key: str, *, collection: str | None = None, raise_on_missing: Literal[True]
    ) -> tuple[dict[str, Any], float | None]: ...
    @overload
    async def ttl(
        self, key: str, *, collection: str | None = None, raise_on_missing: bool
    ) -> tuple[dict[str, Any] | None, float | None]: ...
    async def ttl(
        self, key: str, *, collection: str | None = None, raise_on_missing: bool = False
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining seconds)``; ``(None, None)`` if absent.

        Raises:
            MissingKeyError: the key is absent and ``raise_on_missing`` is true.
        """
        value, remaining = await self.key_value.ttl(key, collection=collection)
        if value is None and raise_on_missing:
            raise self._missing("ttl", key, collection)
        return value, remaining

    @overload
    async def ttl_many(
        self,
        keys: Sequence[str],
        *,
        collection: str | None = None,
        raise_on_missing: Literal[False] = False,
    ) -> list[tuple[dict[str, Any] | None, float | None]]: ...
    @overload
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None, raise_on_missing: Literal[True]
    ) -> list[tuple[dict[str, Any], float | None]]: ...
    @overload
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None, raise_on_missing: bool
    ) -> list[tuple[dict[str, Any] | None, float | None]]: ...
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None, raise_on_missing: bool = False
    ) -> (
        list[tuple[dict[str, Any], float | None]] | list[tuple[dict[str, Any] | None, float | None]]
    ):
        """Return ``(value, remaining seconds)`` for each key, in input order.

        Raises:
            MissingKeyError: with ``raise_on_missing``, for the first absent
                key in input order.
        """
        entries = await self.key_value.ttl_many(keys, collection=collection)
        if raise_on_missing:
            for key, (value, _) in zip(keys, entries):
                if value is None:
                    raise self._missing("ttl_many", key, collection)
        return entries

    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value`` under ``key`` (passed through to the store)."""
        await self.key_value.put(key, value, collection=collection, ttl=ttl)

    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store each value under the key at the same position (passed through)."""
        await self.key_value.put_many(keys, values, collection=collection, ttl=ttl)

    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Delete ``key``; return whether it existed (passed through)."""
        return await self.key_value.delete(key, collection=collection)

    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys``; return how many existed (passed through)."""
        return await self.key_value.delete_many(keys, collection=collection)
