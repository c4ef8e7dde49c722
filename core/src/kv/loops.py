"""Resources that belong to one event loop: clients, pools, connections.

A connection made by an asyncio client is tied to the loop that was running
when it was made; used from another loop it fails (``Event loop is closed``,
``attached to a different loop``). Yet one store object is routinely used
from several loops in turn: a sync web handler or a CLI that calls
``asyncio.run()`` per request, a task queue, a test suite. :class:`PerLoop`
keeps one resource per running loop: it makes the resource on first use in a
loop, hands the same one back for the rest of that loop's life, and lets go
of resources whose loop has closed (they cannot be closed politely any more;
``discard`` releases what it can without the dead loop)::

    self._clients = PerLoop(
        self._connect, close=_close_client, discard=_drop_client, close_with_loop=True
    )

    async def _get_entry(self, collection, key):
        client = await self._clients.get()
        ...

    async def _close(self):
        await self._clients.close()

With ``close_with_loop=True`` a loop's resource is closed politely, in that
loop, when the loop shuts down: ``asyncio.run()``, ``asyncio.Runner`` and
``anyio.run()`` close every open async generator before they close the loop
(``loop.shutdown_asyncgens()``), and :class:`PerLoop` keeps one such
generator per loop for that purpose. A loop closed without that step (a bare
``loop.close()``) still gets its resource discarded on the next use.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import anyio

__all__ = ["PerLoop", "current_loop"]

T = TypeVar("T")


def current_loop() -> object:
    """An object that stands for the running event loop (asyncio's loop, trio's token).

    Raises:
        RuntimeError: no event loop is running in this thread.
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        import anyio.lowlevel

        try:
            return anyio.lowlevel.current_token().native_token
        except Exception as error:
            raise RuntimeError("no event loop is running in this thread") from error


_get_running_loop = asyncio.get_running_loop


def _loop_is_closed(loop: object) -> bool:
    is_closed = getattr(loop, "is_closed", None)
    return bool(is_closed()) if callable(is_closed) else False


def _ignore(resource: object) -> None:
    """The default ``discard``: drop the reference and let the collector close it."""


class PerLoop(Generic[T]):
    """One resource per running event loop, made lazily and released with ``close()``.

    Args:
        make: Makes the resource; awaited in the loop that will use it.
        close: Releases a resource politely, in its own loop.
        discard: Releases, without a loop, a resource whose loop has closed or
            belongs to another thread (close its sockets, drop its buffers).
            It must not raise; errors are swallowed.
        close_with_loop: Close each loop's resource (with ``close``, in that
            loop) when the loop shuts down its async generators, as
            ``asyncio.run()`` does before closing the loop; errors are
            swallowed. Without it, the resource of a finished loop is
            discarded on the next use of another loop.
    """

    def __init__(
        self,
        make: Callable[[], Awaitable[T]],
        *,
        close: Callable[[T], Awaitable[None]],
        discard: Callable[[T], None] = _ignore,
        close_with_loop: bool = False,
    ) -> None:
        self._make = make
        self._close = close
        self._discard = discard
        self._close_with_loop = close_with_loop
        self._watchers: dict[object, tuple[object, AsyncGenerator[None, None]]] = {}
        self._resources: dict[object, T] = {}
        self._locks: dict[object, anyio.Lock] = {}
        self._last_loop: object = None
        self._last: T | None = None

    def __repr__(self) -> str:
        return f"<PerLoop loops={len(self._resources)}>"

    @property
    def current(self) -> T | None:
        """The running loop's resource if it has one (no new one is made)."""
        try:  # asyncio's loop, without a function call: this is every call's path
            loop: object = _get_running_loop()
        except RuntimeError:
            loop = current_loop()
        if loop is self._last_loop:
            return self._last
        return self._resources.get(loop)

    async def get(self) -> T:
        """The running loop's resource, made now if this loop has none yet."""
        try:
            loop: object = _get_running_loop()
        except RuntimeError:
            loop = current_loop()
        if loop is self._last_loop and self._last is not None:
            return self._last
        resource = self._resources.get(loop)
        if resource is None:
            resource = await self._make_for(loop)
        self._last_loop, self._last = loop, resource
        return resource

    async def _make_for(self, loop: object) -> T:
        self._release_dead_loops()
        lock = self._locks.get(loop)
        if lock is None:
            import anyio

            lock = self._locks[loop] = anyio.Lock()
        async with lock:
            resource = self._resources.get(loop)
            if resource is None:
                resource = await self._make()
                self._resources[loop] = resource
                if self._close_with_loop and loop not in self._watchers:
                    await self._watch(loop)
            return resource

    async def _watch(self, loop: object) -> None:
        """Start this loop's watcher: an async generator the loop closes at its shutdown."""
        token = object()
        watcher = self._watcher(loop, token)
        # The first step, in the running loop, registers the generator with the
        # loop (its async generator hooks); it then waits at its ``yield``.
        await watcher.__anext__()
        self._watchers[loop] = (token, watcher)

    async def _watcher(self, loop: object, token: object) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            watched = self._watchers.get(loop)
            if watched is not None and watched[0] is token:  # still this loop's watcher
                del self._watchers[loop]
                resource = self._drop(loop)
                if resource is not None:
                    with contextlib.suppress(Exception):  # best effort, by contract
                        await self._close(resource)

    def _release_dead_loops(self) -> None:
        for loop in [loop for loop in self._resources if _loop_is_closed(loop)]:
            self._forget(loop)
        for loop in [loop for loop in self._watchers if _loop_is_closed(loop)]:
            # A closed loop never runs its generators again; drop them unstarted.
            self._watchers.pop(loop, None)

    def _drop(self, loop: object) -> T | None:
        """Forget ``loop``'s resource and lock; return the resource."""
        resource = self._resources.pop(loop, None)
        self._locks.pop(loop, None)
        if loop is self._last_loop:
            self._last_loop, self._last = None, None
        return resource

    def _forget(self, loop: object) -> T | None:
        resource = self._drop(loop)
        if resource is not None:
            with contextlib.suppress(Exception):  # best effort, by contract
                self._discard(resource)
        return resource

    def invalidate(self) -> None:
        """Forget the running loop's resource without closing it (it is broken)."""
        loop = current_loop()
        self._resources.pop(loop, None)
        if loop is self._last_loop:
            self._last_loop, self._last = None, None

    async def close(self) -> None:
        """Close the running loop's resource; discard those of every other loop."""
        try:
            loop: object = current_loop()
        except RuntimeError:
            loop = None
        resource = self._resources.pop(loop, None) if loop is not None else None
        self._locks.pop(loop, None)
        for other in list(self._resources):
            self._forget(other)
        self._last_loop, self._last = None, None
        if resource is not None:
            await self._close(resource)
