"""``TimeoutWrapper``: no call takes longer than ``timeout`` seconds.

::

    from kv_wrappers import TimeoutWrapper

    store = TimeoutWrapper(kv.connect("redis://localhost"), timeout=0.5)
    try:
        await store.get("alice", collection="users")
    except kv.StoreTimeoutError:  # also a TimeoutError
        ...

Each call runs inside an anyio cancel scope (``move_on_after``), so it works
the same under asyncio and trio: when time is up the wrapped call is
*cancelled* where it waits (nothing is spawned), and
:class:`~kv.errors.StoreTimeoutError` is raised, naming the operation, key and
collection and how long the caller actually waited.

Cancelling does not undo: a write or delete that was cancelled may still take
effect, and the message of a timed-out write says so. A store over a network
client may have sent the command before the cancellation; a store that runs
its engine in a worker thread (``disk://``, ``rocksdb://``, ``duckdb://``...,
through :class:`kv.blocking.BlockingCalls`) cannot interrupt the thread: the
caller gets the error in time, the call finishes in the background, and the
store's next calls wait for it (the engine never sees two calls at once).

A ``TimeoutError`` raised by the wrapped store itself passes through
unchanged. Cancellation from outside (an enclosing scope) is never turned into
a timeout. Enumeration is limited per step (each name fetched),
``destroy``/``destroy_collection``/``cull`` per call.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, SupportsFloat, TypeVar

import anyio

import kv
from kv._typecheck import typechecked
from kv.atomic import Versioned
from kv.errors import InvalidOptionError, StoreTimeoutError
from kv_wrappers._support import default_collection_of
from kv_wrappers.base import BaseWrapper, close_walk

__all__ = ["TimeoutWrapper"]

T = TypeVar("T")


class TimeoutWrapper(BaseWrapper):
    """Cancel any call that takes longer than ``timeout`` seconds.

    Args:
        key_value: The store to wrap.
        timeout: Seconds each call may take (finite, ``> 0``); 5 by default.

    Raises:
        InvalidOptionError: ``timeout`` is not a finite number ``> 0``.
    """

    def __init__(self, key_value: kv.AsyncKeyValue, timeout: float = 5.0) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise InvalidOptionError(f"timeout must be a number of seconds, not {timeout!r}")
        if not math.isfinite(timeout) or timeout <= 0:
            raise InvalidOptionError(f"timeout must be finite and > 0, not {timeout!r}")
        self.timeout = float(timeout)
        self._default = default_collection_of(key_value)
        super().__init__(key_value)

    def __repr__(self) -> str:
        return f"<TimeoutWrapper timeout={self.timeout} over {self.key_value!r}>"

    def _expired(
        self,
        operation: str,
        collection: str | None,
        key: str | None,
        scope: anyio.CancelScope,
        *,
        writes: bool,
    ) -> StoreTimeoutError:
        """The error of a call that ``scope`` (this wrapper's deadline) cancelled."""
        store = getattr(self.key_value, "store_name", None) or type(self.key_value).__name__
        waited = anyio.current_time() - (scope.deadline - self.timeout)
        message = f"{operation} did not finish within {self.timeout:g} seconds"
        message += f" (gave up after {waited:.2f} s)"
        if writes:
            message += (
                "; the call was abandoned, not undone: it may still take effect"
                " (a store running it in a worker thread finishes it in the background)"
            )
        return StoreTimeoutError(
            message,
            store=str(store),
            collection=self._default if collection is None else collection,
            key=key,
        )

    async def _limit(
        self,
        call: Callable[[], Awaitable[T]],
        operation: str,
        collection: str | None,
        key: str | None,
        *,
        writes: bool,
    ) -> T:
        with anyio.move_on_after(self.timeout) as scope:
            return await call()
        # Only reached when this scope cancelled the call.
        raise self._expired(operation, collection, key, scope, writes=writes)

    @typechecked
    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value of ``key``, or raise ``StoreTimeoutError`` in time."""
        with anyio.move_on_after(self.timeout) as scope:
            return await self.key_value.get(key, collection=collection)
        raise self._expired("get", collection, key, scope, writes=False)

    @typechecked
    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining seconds)``, or raise ``StoreTimeoutError`` in time."""
        with anyio.move_on_after(self.timeout) as scope:
            return await self.key_value.ttl(key, collection=collection)
        raise self._expired("ttl", collection, key, scope, writes=False)

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value``, or raise ``StoreTimeoutError`` in time."""
        with anyio.move_on_after(self.timeout) as scope:
            return await self.key_value.put(key, value, collection=collection, ttl=ttl)
        raise self._expired("put", collection, key, scope, writes=True)

    @typechecked
    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Delete ``key``, or raise ``StoreTimeoutError`` in time."""
        with anyio.move_on_after(self.timeout) as scope:
            return await self.key_value.delete(key, collection=collection)
        raise self._expired("delete", collection, key, scope, writes=True)

    @typechecked
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        """Return the values of ``keys``, or raise ``StoreTimeoutError`` in time."""
        with anyio.move_on_after(self.timeout) as scope:
            return await self.key_value.get_many(keys, collection=collection)
        raise self._expired(f"get_many of {len(keys)} keys", collection, None, scope, writes=False)

    @typechecked
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """Return ``(value, remaining seconds)`` per key, or raise in time."""
        with anyio.move_on_after(self.timeout) as scope:
            return await self.key_value.ttl_many(keys, collection=collection)
        raise self._expired(f"ttl_many of {len(keys)} keys", collection, None, scope, writes=False)

    @typechecked
    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store several values, or raise ``StoreTimeoutError`` in time."""
        with anyio.move_on_after(self.timeout) as scope:
            return await self.key_value.put_many(keys, values, collection=collection, ttl=ttl)
        raise self._expired(f"put_many of {len(keys)} keys", collection, None, scope, writes=True)

    @typechecked
    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys``, or raise ``StoreTimeoutError`` in time."""
        with anyio.move_on_after(self.timeout) as scope:
            return await self.key_value.delete_many(keys, collection=collection)
        raise self._expired(
            f"delete_many of {len(keys)} keys", collection, None, scope, writes=True
        )

    # --- optional capabilities ---------------------------------------------------------

    async def _pass_iter_keys(
        self, collection: str | None, page_size: int | None
    ) -> AsyncGenerator[str, None]:
        walk = super()._pass_iter_keys(collection, page_size)
        async for key in self._limit_each(walk, "keys", collection):
            yield key

    async def _pass_iter_collections(self, page_size: int | None) -> AsyncGenerator[str, None]:
        walk = super()._pass_iter_collections(page_size)
        async for name in self._limit_each(walk, "collections", None):
            yield name

    async def _limit_each(
        self, walk: AsyncIterator[str], operation: str, collection: str | None
    ) -> AsyncGenerator[str, None]:
        try:
            while True:
                fetched = False
                with anyio.move_on_after(self.timeout) as scope:
                    try:
                        name = await walk.__anext__()
                    except StopAsyncIteration:
                        return
                    fetched = True
                if not fetched:
                    raise self._expired(operation, collection, None, scope, writes=False)
                yield name
        finally:
            await close_walk(walk)

    async def _pass_destroy(self) -> bool:
        return await self._limit(super()._pass_destroy, "destroy", None, None, writes=True)

    async def _pass_destroy_collection(self, collection: str) -> bool:
        with anyio.move_on_after(self.timeout) as scope:
            return await super()._pass_destroy_collection(collection)
        raise self._expired("destroy_collection", collection, None, scope, writes=True)

    async def _pass_cull(self) -> int:
        return await self._limit(super()._pass_cull, "cull", None, None, writes=True)

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        with anyio.move_on_after(self.timeout) as scope:
            return await super()._pass_put_if_absent(key, value, collection, ttl)
        raise self._expired("put_if_absent", collection, key, scope, writes=True)

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Versioned | None:
        with anyio.move_on_after(self.timeout) as scope:
            return await super()._pass_get_versioned(key, collection)
        raise self._expired("get_versioned", collection, key, scope, writes=False)

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        with anyio.move_on_after(self.timeout) as scope:
            return await super()._pass_put_if_version(key, value, version, collection, ttl)
        raise self._expired("put_if_version", collection, key, scope, writes=True)

    async def _pass_delete_if_version(self, key: str, version: str, collection: str | None) -> bool:
        with anyio.move_on_after(self.timeout) as scope:
            return await super()._pass_delete_if_version(key, version, collection)
        raise self._expired("delete_if_version", collection, key, scope, writes=True)
