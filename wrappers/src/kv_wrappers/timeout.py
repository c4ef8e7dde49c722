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

import asyncio
import math
import sys
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Coroutine,
    Generator,
    Mapping,
)
from types import CoroutineType
from typing import Any, Generic, SupportsFloat, TypeVar

import anyio

import kv
from kv.atomic import Versioned
from kv.errors import InvalidOptionError, StoreTimeoutError
from kv_wrappers._support import default_collection_of
from kv_wrappers.base import PROTOCOL_CALLS, BaseWrapper, close_walk, protocol_calls

__all__ = ["TimeoutWrapper"]

T = TypeVar("T")

_clock = time.perf_counter
"""Measures how long a call has run."""


def _on_asyncio() -> bool:
    """Whether an asyncio event loop runs this call (and ``asyncio.timeout`` exists)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio
        return False
    return _HAS_ASYNCIO_TIMEOUT


_HAS_ASYNCIO_TIMEOUT = sys.version_info >= (3, 11)


class _Resumed(Generic[T]):
    """Awaits the rest of ``call``, a coroutine whose first step already ran and gave ``step``.

    What ``await call`` would do from there: every object the coroutine yields
    goes to the event loop, and everything the loop sends or throws (a
    cancellation) goes back to the coroutine.
    """

    __slots__ = ("_call", "_step")

    def __init__(self, call: Coroutine[Any, Any, T], step: object) -> None:
        self._call = call
        self._step = step

    def __await__(self) -> Generator[Any, Any, T]:
        call, step = self._call, self._step
        while True:
            try:
                sent = yield step
            except GeneratorExit:  # noqa: PERF203 - once per suspension, as await
                call.close()
                raise
            except BaseException as error:  # a cancellation, say: the coroutine handles it
                try:
                    step = call.throw(error)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
            else:
                try:
                    step = call.send(sent)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]


def _timed(operation: str, key: str, *, writes: bool) -> list[str]:
    """The body of a protocol call: :meth:`TimeoutWrapper._run`, inlined (the call's first
    step needs no cancel scope, and a call that finishes in it costs no extra frame).

    ``operation`` and ``key`` are Python expressions naming the call and its key.
    """
    where = f"{operation}, collection, {key}, writes={writes}"
    return [
        "_kv_call_ = self.key_value.{name}({rest})",
        "if type(_kv_call_) is not _kv_coroutine_ or not _kv_on_asyncio_():",
        f"    return await self._scoped(_kv_call_, {where})",
        "_kv_started_ = _kv_clock_()",
        "try:",
        "    _kv_step_ = _kv_call_.send(None)",
        "except StopIteration as _kv_done_:",
        "    return _kv_done_.value",
        f"return await self._rest(_kv_call_, _kv_step_, _kv_started_, {where})",
    ]


_RUNTIME = {"_kv_coroutine_": CoroutineType, "_kv_on_asyncio_": _on_asyncio, "_kv_clock_": _clock}
_IN_TIME = "Raises ``StoreTimeoutError`` when it does not finish in time."


@protocol_calls(
    _timed("'{name}'", "key", writes=False), calls=("get", "ttl"), names=_RUNTIME, doc=_IN_TIME
)
@protocol_calls(
    _timed("'{name}'", "key", writes=True), calls=("put", "delete"), names=_RUNTIME, doc=_IN_TIME
)
@protocol_calls(
    _timed("f'{name} of {{len(keys)}} keys'", "None", writes=False),
    calls=("get_many", "ttl_many"),
    names=_RUNTIME,
    doc=_IN_TIME,
)
@protocol_calls(
    _timed("f'{name} of {{len(keys)}} keys'", "None", writes=True),
    calls=("put_many", "delete_many"),
    names=_RUNTIME,
    doc=_IN_TIME,
)
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

    _hands_arguments_on = frozenset(PROTOCOL_CALLS)

    _shown = ("timeout",)

    def _expired(
        self,
        operation: str,
        collection: str | None,
        key: str | None,
        waited: float,
        *,
        writes: bool,
    ) -> StoreTimeoutError:
        """The error of a call this wrapper's deadline cancelled after ``waited`` seconds."""
        store = getattr(self.key_value, "store_name", None) or type(self.key_value).__name__
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

    def _waited(self, scope: anyio.CancelScope) -> float:
        """Seconds since ``scope`` (of this wrapper's deadline) was entered."""
        return anyio.current_time() - (scope.deadline - self.timeout)

    async def _run(
        self,
        call: Awaitable[T],
        operation: str,
        collection: str | None,
        key: str | None,
        *,
        writes: bool,
    ) -> T:
        """Await ``call`` (the wrapped store's call, not started yet) within the deadline.

        Under asyncio the call starts at once, with no cancel scope: a call
        that finishes without waiting (``memory://``, an inline engine call)
        cannot be interrupted anyway, and is simply done. Only a call that
        waits gets a deadline (:meth:`_rest`), counted from its start. Other
        event loops (trio), and awaitables that are not coroutines, get an
        anyio cancel scope around the whole call (:meth:`_scoped`).
        """
        if type(call) is not CoroutineType or not _on_asyncio():
            return await self._scoped(call, operation, collection, key, writes=writes)
        started = _clock()
        try:
            step = call.send(None)
        except StopIteration as done:
            done_value: T = done.value
            return done_value
        return await self._rest(call, step, started, operation, collection, key, writes=writes)

    async def _scoped(
        self,
        call: Awaitable[T],
        operation: str,
        collection: str | None,
        key: str | None,
        *,
        writes: bool,
    ) -> T:
        """Await ``call`` inside an anyio cancel scope with this wrapper's deadline."""
        with anyio.move_on_after(self.timeout) as scope:
            return await call
        # Only reached when this scope cancelled the call.
        raise self._expired(operation, collection, key, self._waited(scope), writes=writes)

    async def _rest(
        self,
        call: Coroutine[Any, Any, T],
        step: object,
        started: float,
        operation: str,
        collection: str | None,
        key: str | None,
        *,
        writes: bool,
    ) -> T:
        """Await the rest of ``call`` (asyncio): it started at ``started``, now waits on ``step``.

        The deadline is an ``asyncio.timeout``, which can be entered while the
        call is already under way (an anyio scope must be entered before it).
        """
        if sys.version_info >= (3, 11):
            deadline = asyncio.timeout(self.timeout - (_clock() - started))
            try:
                async with deadline:
                    return await _Resumed(call, step)
            except TimeoutError:
                if not deadline.expired():
                    raise  # the wrapped store's own
            # Only reached when this deadline cancelled the call.
            waited = _clock() - started
            raise self._expired(operation, collection, key, waited, writes=writes)
        raise AssertionError("never called before Python 3.11 (see _on_asyncio)")

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
                    raise self._expired(
                        operation, collection, None, self._waited(scope), writes=False
                    )
                yield name
        finally:
            await close_walk(walk)

    async def _pass_destroy(self) -> bool:
        return await self._scoped(super()._pass_destroy(), "destroy", None, None, writes=True)

    async def _pass_destroy_collection(self, collection: str) -> bool:
        call = super()._pass_destroy_collection(collection)
        return await self._scoped(call, "destroy_collection", collection, None, writes=True)

    async def _pass_cull(self) -> int:
        return await self._scoped(super()._pass_cull(), "cull", None, None, writes=True)

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        call = super()._pass_put_if_absent(key, value, collection, ttl)
        return await self._run(call, "put_if_absent", collection, key, writes=True)

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Versioned | None:
        call = super()._pass_get_versioned(key, collection)
        return await self._run(call, "get_versioned", collection, key, writes=False)

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        call = super()._pass_put_if_version(key, value, version, collection, ttl)
        return await self._run(call, "put_if_version", collection, key, writes=True)

    async def _pass_delete_if_version(self, key: str, version: str, collection: str | None) -> bool:
        call = super()._pass_delete_if_version(key, version, collection)
        return await self._run(call, "delete_if_version", collection, key, writes=True)
