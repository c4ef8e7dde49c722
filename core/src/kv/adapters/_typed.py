"""The shared core of the typed adapters (pydantic and dataclass).

:class:`TypedAdapter` does everything that does not depend on how a type is
converted: choosing the collection, wrapping values that are not JSON objects
as ``{"items": ...}``, turning conversion failures into kv errors, and the
validation-failure policy (raise :class:`~kv.errors.DeserializationError`, or
log a warning and return the default). A concrete adapter only writes
:meth:`TypedAdapter._to_data` and :meth:`TypedAdapter._from_data`.
"""

from __future__ import annotations

import enum
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, SupportsFloat, TypeVar, overload

from kv.adapters._context import context_collection, context_store
from kv.errors import DeserializationError, SerializationError

if TYPE_CHECKING:
    from kv.protocols import AsyncKeyValue

__all__ = ["ITEMS_KEY", "ConversionError", "TypedAdapter", "logger"]

T = TypeVar("T")

ITEMS_KEY: Final = "items"
"""The key under which a value that is not a JSON object is stored (py-key-value's format)."""

logger = logging.getLogger("kv.adapters")
"""Where validation failures are reported when they are not raised."""


class ConversionError(Exception):
    """Raised by a concrete adapter when a value cannot be converted.

    ``reason`` must describe the problem without quoting the value itself
    (field paths and type names only), as it goes into messages and logs.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Invalid(enum.Enum):
    """Marks a stored value that failed validation (distinct from a valid ``None``)."""

    INVALID = enum.auto()


_INVALID: Final = _Invalid.INVALID


class TypedAdapter(ABC, Generic[T]):
    """Typed access to an :class:`~kv.AsyncKeyValue`: values of type ``T`` in, ``T`` out.

    An adapter is not itself a store: it wraps one and converts values on
    the way in and out.

    Args:
        key_value: The store to read from and write to.
        wrap: Store values as ``{"items": <data>}`` (for types whose data is
            not a JSON object).
        type_name: How the type is named in messages and logs.
        default_collection: Collection used when a call passes
            ``collection=None``; ``None`` leaves the choice to the store.
        raise_on_validation_error: Raise :class:`~kv.errors.DeserializationError`
            when a stored value is not a valid ``T``, instead of logging a
            warning and returning the default.
    """

    def __init__(
        self,
        key_value: AsyncKeyValue,
        *,
        wrap: bool,
        type_name: str,
        default_collection: str | None = None,
        raise_on_validation_error: bool = False,
    ) -> None:
        self.key_value: AsyncKeyValue = key_value
        self.default_collection: str | None = default_collection
        self.raise_on_validation_error: bool = raise_on_validation_error
        self._wrap = wrap
        self._type_name = type_name

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__}[{self._type_name}] store={self.key_value!r}"
            f" default_collection={self.default_collection!r}>"
        )

    # --- what a concrete adapter writes -------------------------------------------

    @abstractmethod
    def _to_data(self, value: T) -> Any:
        """Convert ``value`` to JSON data; raise :class:`ConversionError` if impossible."""

    @abstractmethod
    def _from_data(self, data: Any) -> T:
        """Rebuild a ``T`` from JSON data; raise :class:`ConversionError` if invalid."""

    # --- shared conversion ----------------------------------------------------------

    def _collection(self, collection: str | None) -> str | None:
        return self.default_collection if collection is None else collection

    def _serialize(self, key: str, collection: str | None, value: T) -> dict[str, Any]:
        try:
            data = self._to_data(value)
        except ConversionError as error:
            raise SerializationError(
                f"Cannot serialize the value as {self._type_name}: {error.reason}",
                store=context_store(self.key_value),
                collection=context_collection(self.key_value, collection),
                key=key,
            ) from error
        if self._wrap:
            return {ITEMS_KEY: data}
        if not isinstance(data, Mapping):
            raise SerializationError(
                f"Cannot serialize the value as {self._type_name}:"
                f" it gave a JSON {type(data).__name__}, not a JSON object",
                store=context_store(self.key_value),
                collection=context_collection(self.key_value, collection),
                key=key,
            )
        return dict(data)

    def _serialize_many(
        self, keys: Sequence[str], collection: str | None, values: Sequence[T]
    ) -> list[dict[str, Any]]:
        if isinstance(keys, (str, bytes)):
            raise TypeError("keys must be a sequence of str, not a single str")
        if isinstance(values, (str, bytes)) or len(values) != len(keys):
            raise ValueError(
                f"put_many got {len(keys)} keys but {len(values)} values; nothing was written"
            )
        return [self._serialize(key, collection, value) for key, value in zip(keys, values)]

    def _deserialize(self, key: str, collection: str | None, raw: dict[str, Any]) -> T | _Invalid:
        if self._wrap:
            if ITEMS_KEY not in raw:
                return self._invalid(key, collection, f"it has no {ITEMS_KEY!r} wrapper")
            data = raw[ITEMS_KEY]
        else:
            data = raw
        try:
            return self._from_data(data)
        except ConversionError as error:
            reason = error.reason
        # Outside the except block, so no error that may quote the data is chained.
        return self._invalid(key, collection, reason)

    def _invalid(self, key: str, collection: str | None, reason: str) -> _Invalid:
        """Apply the validation-failure policy: raise, or log and report invalid."""
        where = context_collection(self.key_value, collection)
        if self.raise_on_validation_error:
            raise DeserializationError(
                f"The stored value is not a valid {self._type_name}: {reason}",
                store=context_store(self.key_value),
                collection=where,
                key=key,
            )
        logger.warning(
            "Ignoring a stored value that is not a valid %s (key=%r, collection=%r): %s",
            self._type_name,
            key,
            where,
            reason,
            extra={"kv_key": key, "kv_collection": where, "kv_type": self._type_name},
        )
        return _INVALID

    # --- the typed API --------------------------------------------------------------

    @overload
    async def get(
        self, key: str, *, collection: str | None = None, default: None = None
    ) -> T | None: ...
    @overload
    async def get(self, key: str, *, collection: str | None = None, default: T) -> T: ...
    async def get(
        self, key: str, *, collection: str | None = None, default: T | None = None
    ) -> T | None:
        """Return the value under ``key``, or ``default`` if absent, expired or invalid.

        Raises:
            DeserializationError: the stored value is not a valid ``T`` and the
                adapter was made with ``raise_on_validation_error=True``.
        """
        collection = self._collection(collection)
        raw = await self.key_value.get(key, collection=collection)
        if raw is None:
            return default
        value = self._deserialize(key, collection, raw)
        return default if value is _INVALID else value

    @overload
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None, default: None = None
    ) -> list[T | None]: ...
    @overload
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None, default: T
    ) -> list[T]: ...
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None, default: T | None = None
    ) -> list[T] | list[T | None]:
        """Return the values of ``keys`` in input order, ``default`` where absent or invalid.

        Raises:
            DeserializationError: a stored value is not a valid ``T`` and the
                adapter was made with ``raise_on_validation_error=True``.
        """
        collection = self._collection(collection)
        raws = await self.key_value.get_many(keys, collection=collection)
        results: list[T | None] = []
        for key, raw in zip(keys, raws):
            if raw is None:
                results.append(default)
                continue
            value = self._deserialize(key, collection, raw)
            results.append(default if value is _INVALID else value)
        return results

    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[T | None, float | None]:
        """Return ``(value, remaining seconds)``; ``(None, None)`` if absent or invalid.

        The remaining time is ``None`` for an entry that never expires.

        Raises:
            DeserializationError: the stored value is not a valid ``T`` and the
                adapter was made with ``raise_on_validation_error=True``.
        """
        collection = self._collection(collection)
        raw, remaining = await self.key_value.ttl(key, collection=collection)
        if raw is None:
            return None, None
        value = self._deserialize(key, collection, raw)
        if value is _INVALID:
            return None, None
        return value, remaining

    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[T | None, float | None]]:
        """Return ``(value, remaining seconds)`` per key, in input order.

        Absent and invalid entries give ``(None, None)``, exactly as :meth:`ttl`.

        Raises:
            DeserializationError: a stored value is not a valid ``T`` and the
                adapter was made with ``raise_on_validation_error=True``.
        """
        collection = self._collection(collection)
        raws = await self.key_value.ttl_many(keys, collection=collection)
        results: list[tuple[T | None, float | None]] = []
        for key, (raw, remaining) in zip(keys, raws):
            if raw is None:
                results.append((None, None))
                continue
            value = self._deserialize(key, collection, raw)
            results.append((None, None) if value is _INVALID else (value, remaining))
        return results

    async def put(
        self,
        key: str,
        value: T,
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value`` under ``key``, replacing any earlier value and TTL.

        Raises:
            SerializationError: ``value`` cannot be converted; nothing was written.
        """
        collection = self._collection(collection)
        data = self._serialize(key, collection, value)
        await self.key_value.put(key, data, collection=collection, ttl=ttl)

    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[T],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store each value under the key at the same position; one TTL for all.

        Every value is converted before anything is written.

        Raises:
            SerializationError: a value cannot be converted; nothing was written.
            ValueError: ``keys`` and ``values`` differ in length.
        """
        collection = self._collection(collection)
        data = self._serialize_many(keys, collection, values)
        await self.key_value.put_many(keys, data, collection=collection, ttl=ttl)

    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Delete ``key``; return whether it existed."""
        return await self.key_value.delete(key, collection=self._collection(collection))

    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys``; return how many existed."""
        return await self.key_value.delete_many(keys, collection=self._collection(collection))
