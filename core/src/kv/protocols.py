"""The protocols a kv store implements.

:class:`AsyncKeyValue` is the one protocol framework code depends on. Its
methods have exactly the signatures of py-key-value's ``AsyncKeyValue``, so a
framework written against py-key-value accepts any kv store unchanged.

Optional capabilities are separate runtime-checkable protocols. A store offers
one when it has the method, and only then; test with ``isinstance``::

    if isinstance(store, EnumerateKeys):
        async for key in store.iter_keys("users"):
            ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, SupportsFloat, runtime_checkable

from typing_extensions import Self

from kv.atomic import AtomicKeyValue

if TYPE_CHECKING:
    from kv.capabilities import Capabilities

__all__ = [
    "OPTIONAL_PROTOCOLS",
    "AsyncKeyValue",
    "AtomicKeyValue",
    "Cull",
    "DestroyCollection",
    "DestroyStore",
    "EnumerateCollections",
    "EnumerateKeys",
    "Store",
]


@runtime_checkable
class AsyncKeyValue(Protocol):
    """An async store of JSON objects, addressed by collection and key.

    * Values are mappings with string keys and strict JSON content; reads
      return a fresh ``dict`` each time.
    * ``collection=None`` means the store's default collection.
    * ``ttl`` is ``None`` (never expires) or a finite number of seconds > 0.
    * Bulk methods return one result per input key, in input order.
    """

    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value stored under ``key``, or ``None`` if absent or expired."""
        ...

    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining seconds)``; ``(None, None)`` if absent.

        The remaining time is ``None`` for an entry that never expires.
        """
        ...

    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value`` under ``key``, replacing any earlier value and TTL."""
        ...

    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Delete ``key``; return whether it existed."""
        ...

    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        """Return the values of ``keys`` in order, ``None`` where absent."""
        ...

    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """Return ``(value, remaining seconds)`` for each key, in order."""
        ...

    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store each value under the key at the same position; one TTL for all."""
        ...

    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys``; return how many existed."""
        ...


@runtime_checkable
class Store(AsyncKeyValue, Protocol):
    """What :func:`kv.connect` returns: the protocol plus lifecycle and capabilities.

    Every store built on :class:`kv.store.BaseStore` is one. Framework code
    should accept the narrower :class:`AsyncKeyValue`.
    """

    @property
    def capabilities(self) -> Capabilities:
        """What the store can do."""
        ...

    async def setup(self) -> None:
        """Open the store now (it opens by itself on first use otherwise)."""
        ...

    async def close(self) -> None:
        """Release the store's resources; safe to call more than once."""
        ...

    async def __aenter__(self) -> Self:
        """Open the store and return it."""
        ...

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the store."""
        ...


@runtime_checkable
class EnumerateKeys(Protocol):
    """A store that can list the keys of a collection."""

    async def keys(self, collection: str | None = None, *, limit: int | None = None) -> list[str]:
        """Return the keys of ``collection``: all of them when ``limit`` is ``None``."""
        ...

    def iter_keys(
        self, collection: str | None = None, *, page_size: int | None = None
    ) -> AsyncIterator[str]:
        """Walk every key of ``collection``, fetched page by page."""
        ...


@runtime_checkable
class EnumerateCollections(Protocol):
    """A store that can list its collections."""

    async def collections(self, *, limit: int | None = None) -> list[str]:
        """Return the collection names: all of them when ``limit`` is ``None``."""
        ...

    def iter_collections(self, *, page_size: int | None = None) -> AsyncIterator[str]:
        """Walk every collection name, fetched page by page."""
        ...


@runtime_checkable
class DestroyStore(Protocol):
    """A store that can delete everything it holds (and only that)."""

    async def destroy(self) -> bool:
        """Delete every entry of every collection of this store."""
        ...


@runtime_checkable
class DestroyCollection(Protocol):
    """A store that can delete one collection at once."""

    async def destroy_collection(self, collection: str) -> bool:
        """Delete every entry of ``collection``; return whether it held any."""
        ...


@runtime_checkable
class Cull(Protocol):
    """A store that can reclaim the space of expired entries."""

    async def cull(self) -> int:
        """Remove expired entries now; return how many were removed (if known)."""
        ...


OPTIONAL_PROTOCOLS: dict[str, type] = {
    "enumerate_keys": EnumerateKeys,
    "enumerate_collections": EnumerateCollections,
    "destroy": DestroyStore,
    "destroy_collection": DestroyCollection,
    "cull": Cull,
    "atomic": AtomicKeyValue,
}
"""Capability flag -> the protocol a store offering it implements."""
