"""``RoutingWrapper`` and ``CollectionRoutingWrapper``: send each collection to a store.

::

    from kv_wrappers import CollectionRoutingWrapper

    sessions = kv.connect("memory://")
    everything_else = kv.connect("memory://")
    store = CollectionRoutingWrapper({"sessions": sessions}, default_store=everything_else)
    await store.put("s1", {"user": "alice"}, collection="sessions")  # goes to `sessions`

Every call goes to the store chosen for its collection, with the collection
name unchanged; bulk calls route on their one collection. ``collection=None``
is routed like in py-key-value: ``routing_function(None)`` (the default store
for ``CollectionRoutingWrapper``), and that store uses its own default.

Optional capabilities are offered only when *every* store the wrapper can
route to offers them. ``keys(c)`` and ``destroy_collection(c)`` go to the
store of ``c``; ``collections()`` merges the collections of all stores,
listing a name only from the store that name is routed to (so a stray
collection in the default store that another store owns is not listed);
``destroy()`` and ``cull()`` run on each distinct store once; the ``atomic``
operations go to the store of their collection (a key lives in one store, so
its claim and its versions are that store's). The declared
``bounded``/``persistent``/``native_ttl``/``max_value_size`` combine all
stores conservatively.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any, SupportsFloat, cast

import kv
from kv._typecheck import typechecked
from kv.atomic import AtomicKeyValue, Versioned
from kv.capabilities import Capabilities
from kv.errors import InvalidKeyError, InvalidOptionError
from kv.names import validate_collection
from kv_wrappers._capabilities import offered_by_all
from kv_wrappers.base import (
    PROTOCOL_CALLS,
    BaseWrapper,
    _iter_collections_of,
    _iter_keys_of,
    capabilities_of,
)

__all__ = ["CollectionRoutingWrapper", "RoutingWrapper"]

RoutingFunction = Callable[[str | None], "kv.AsyncKeyValue | None"]
"""Maps a collection (``None`` for the default) to a store, or ``None`` for the default."""


def _distinct(stores: Iterable[object]) -> list[object]:
    seen: set[int] = set()
    result: list[object] = []
    for store in stores:
        if id(store) not in seen:
            seen.add(id(store))
            result.append(store)
    return result


def _check_store(store: object, what: str) -> kv.AsyncKeyValue:
    if not isinstance(store, kv.AsyncKeyValue):
        raise InvalidOptionError(f"{what} must be a kv.AsyncKeyValue, not {type(store).__name__}")
    return store


class RoutingWrapper(BaseWrapper):
    """Route every call to the store ``routing_function`` picks for its collection.

    Args:
        routing_function: Called with the collection (``None`` for the
            default) before every call; returns the store, or ``None`` for
            ``default_store``.
        default_store: Where collections the function does not route go.
        stores: Every store the function may return. The wrapper offers an
            optional capability (``keys``, ``collections``...) only when all
            of them and ``default_store`` offer it; without this list it
            cannot know, and offers none.

    Attributes:
        default_store: The default store (also ``key_value``).
    """

    def __init__(
        self,
        routing_function: RoutingFunction,
        default_store: kv.AsyncKeyValue,
        *,
        stores: Sequence[kv.AsyncKeyValue] | None = None,
    ) -> None:
        if not callable(routing_function):
            raise InvalidOptionError("routing_function must be callable")
        self.routing_function = routing_function
        self.default_store = _check_store(default_store, "default_store")
        self._known = stores is not None
        routed = [_check_store(store, "every store in stores") for store in stores or ()]
        self._stores = cast(list[kv.AsyncKeyValue], _distinct([default_store, *routed]))
        super().__init__(default_store)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} over {len(self._stores)} stores>"

    # --- routing -------------------------------------------------------------------

    def _route(self, collection: str | None) -> kv.AsyncKeyValue:
        store = self.routing_function(collection)
        return self.default_store if store is None else store

    # --- capabilities ------------------------------------------------------------------

    def _wrapped_stores(self) -> Sequence[object]:
        return self._stores

    def _offered_operations(self) -> frozenset[str]:
        if not self._known:
            return frozenset()
        return offered_by_all(self._stores) & self.passes_through

    def _adjust_capabilities(self, capabilities: Capabilities) -> Capabilities:
        every = [capabilities_of(store) for store in self._stores]
        limits = [c.max_value_size for c in every if c.max_value_size is not None]
        return replace(
            capabilities,
            native_ttl=all(c.native_ttl for c in every),
            persistent=all(c.persistent for c in every),
            bounded=any(c.bounded for c in every),
            max_value_size=min(limits) if limits else None,
        )

    # --- the protocol ----------------------------------------------------------------

    @typechecked
    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value of ``key`` from the store of ``collection``."""
        return await self._route(collection).get(key, collection=collection)

    @typechecked
    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining seconds)`` from the store of ``collection``."""
        return await self._route(collection).ttl(key, collection=collection)

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value`` in the store of ``collection``."""
        await self._route(collection).put(key, value, collection=collection, ttl=ttl)

    @typechecked
    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Delete ``key`` from the store of ``collection``."""
        return await self._route(collection).delete(key, collection=collection)

    @typechecked
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        """Return the values of ``keys`` from the store of ``collection``."""
        return await self._route(collection).get_many(keys, collection=collection)

    @typechecked
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """Return ``(value, remaining seconds)`` per key from the store of ``collection``."""
        return await self._route(collection).ttl_many(keys, collection=collection)

    @typechecked
    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store several values in the store of ``collection``."""
        await self._route(collection).put_many(keys, values, collection=collection, ttl=ttl)

    @typechecked
    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys`` from the store of ``collection``."""
        return await self._route(collection).delete_many(keys, collection=collection)

    # --- optional capabilities ---------------------------------------------------------

    def _pass_iter_keys(
        self, collection: str | None, page_size: int | None
    ) -> AsyncGenerator[str, None]:
        return _iter_keys_of(self._route(collection), collection, page_size)

    async def _pass_iter_collections(self, page_size: int | None) -> AsyncGenerator[str, None]:
        seen: set[str] = set()
        for store in self._stores:
            walk = _iter_collections_of(store, page_size)
            try:
                async for name in walk:
                    if name not in seen and self._route(name) is store:
                        seen.add(name)
                        yield name
            finally:
                await walk.aclose()

    async def _pass_destroy(self) -> bool:
        destroyed = False
        for store in self._stores:
            destroyed = bool(await cast(kv.DestroyStore, store).destroy()) or destroyed
        return destroyed

    async def _pass_destroy_collection(self, collection: str) -> bool:
        store = cast(kv.DestroyCollection, self._route(validate_collection(collection)))
        return bool(await store.destroy_collection(collection))

    async def _pass_cull(self) -> int:
        removed = 0
        for store in self._stores:
            removed += int(await cast(kv.Cull, store).cull() or 0)
        return removed

    def _atomic_route(self, collection: str | None) -> AtomicKeyValue:
        return cast(AtomicKeyValue, self._route(collection))

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        store = self._atomic_route(collection)
        return await store.put_if_absent(key, value, collection=collection, ttl=ttl)

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Versioned | None:
        return await self._atomic_route(collection).get_versioned(key, collection=collection)

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        store = self._atomic_route(collection)
        return await store.put_if_version(key, value, version, collection=collection, ttl=ttl)

    async def _pass_delete_if_version(self, key: str, version: str, collection: str | None) -> bool:
        store = self._atomic_route(collection)
        return await store.delete_if_version(key, version, collection=collection)


class CollectionRoutingWrapper(RoutingWrapper):
    """Route collections by name: ``collection_map[name]``, else ``default_store``.

    Args:
        collection_map: Collection name -> store. Copied: later changes to
            the mapping do not change the routing.
        default_store: Where every other collection (and ``collection=None``)
            goes.

    Attributes:
        collection_map: A read-only copy of the routing table.
    """

    def __init__(
        self, collection_map: Mapping[str, kv.AsyncKeyValue], default_store: kv.AsyncKeyValue
    ) -> None:
        if not isinstance(collection_map, Mapping):
            raise InvalidOptionError("collection_map must be a mapping of collection -> store")
        table = {
            _check_name(name): _check_store(store, f"collection_map[{name!r}]")
            for name, store in collection_map.items()
        }
        self.collection_map: Mapping[str, kv.AsyncKeyValue] = MappingProxyType(table)
        super().__init__(self._lookup, default_store, stores=_distinct_stores(table.values()))

    def _lookup(self, collection: str | None) -> kv.AsyncKeyValue | None:
        return None if collection is None else self.collection_map.get(collection)

    _hands_arguments_on = frozenset(PROTOCOL_CALLS)
    """Routing by name needs nothing of the arguments: a bad one reaches the default
    store, which refuses it (naming this wrapper)."""

    def _route(self, collection: str | None) -> kv.AsyncKeyValue:
        if collection is None:
            return self.default_store
        try:
            return self.collection_map.get(collection, self.default_store)
        except TypeError:  # not a name (unhashable): the default store refuses it
            return self.default_store


def _check_name(name: object) -> str:
    try:
        return validate_collection(name)
    except InvalidKeyError as error:
        raise InvalidOptionError(f"collection_map has an invalid name: {error}") from None


def _distinct_stores(stores: Iterable[kv.AsyncKeyValue]) -> list[kv.AsyncKeyValue]:
    return cast(list[kv.AsyncKeyValue], _distinct(stores))
