"""Running a blocking engine's calls without blocking the event loop.

Stores over synchronous libraries (SQLite, RocksDB, DuckDB, keyring, files)
hand every engine call to a :class:`BlockingCalls` runner. It runs the call in
a worker thread (``anyio.to_thread``), at most ``max_threads`` at a time for
this store, so one store never takes over the shared thread pool and an engine
that is not thread-safe sees one call at a time.

A thread cannot be interrupted, so cancellation works like this: a caller
that is cancelled (a deadline of ``anyio.fail_after``, ``TimeoutWrapper``, a
cancelled task group) returns *at once*, and its call is abandoned. A call
that had not started yet never runs; a call already running finishes in the
background, and its result is dropped (its error, if any, is logged at DEBUG
level on the ``kv.blocking`` logger, without arguments or values). Until it
finishes, the abandoned call keeps its place among the ``max_threads``: the
engine never sees more calls at once than allowed, and later calls of the
store (``close`` included) wait for it. A write whose caller was cancelled
may therefore still take effect, a little later.

**Inline calls.** A thread hop costs tens of microseconds (two context
switches), more than a point read of an embedded engine takes. A store may
mark a call that cannot wait on a lock or on slow I/O (a read of SQLite in WAL
mode, a RocksDB read or unsynced write) ``inline=True``: it then runs on the
event loop's own thread, when no call of the store runs in a thread, under an
*inline budget* (``inline_budget`` seconds, default 1 ms): once
:data:`INLINE_STRIKES` inline calls in a row take longer than that (one call
preempted by a busy machine does not count; an engine that has become slow
does), the store's calls go back to its worker thread for a cooldown
(:data:`INLINE_COOLDOWN` seconds), after which they try inline again. A store
may name kinds of calls (``inline="read"``, ``inline="write"``): each kind
has its own strikes and cooldown, so writes slowed by a busy disk do not send
reads served from memory to the thread. The
event loop is so blocked for about the budget per call, apart from the few
slow calls that trip the switch. A call that finds, running inline, that it
would have to wait (a database locked by another process) raises
:class:`WouldBlock` before changing anything, and runs again in the thread,
where it may wait; :func:`running_inline` tells it where it runs.
``inline_budget=None`` runs every call in a thread.
:attr:`BlockingCalls.longest_inline` records the longest inline call, the
worst stall it caused.

:meth:`BlockingCalls.finish` runs a call the other way, for calls whose
result must not be lost (opening a database that holds a file lock): a
cancelled caller waits for the thread, and the cancellation takes effect
once the call has returned.

**One engine per store.** :class:`Engine` holds what nearly every such store
keeps: its engine object (a connection, a database handle) while the store is
open, an optional lock held around each call, and the store's
:class:`BlockingCalls`. ``await engine.run(call, inline=...)`` runs
``call(handle)``; on a closed store it raises
:class:`~kv.errors.StoreConnectionError` with the store's own message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, cast

from typing_extensions import TypeVarTuple, Unpack

from kv.errors import StoreConnectionError
from kv.options import DEFAULT_INLINE_BUDGET

if TYPE_CHECKING:
    import anyio

__all__ = [
    "INLINE_COOLDOWN",
    "INLINE_STRIKES",
    "BlockingCalls",
    "Engine",
    "WouldBlock",
    "running_inline",
]

INLINE_COOLDOWN = 1.0
"""Seconds a store runs every call in its thread after inline calls overran."""

INLINE_STRIKES = 3
"""Inline calls in a row over the budget that send a store's calls to its thread."""

T = TypeVar("T")
E = TypeVar("E")
Ts = TypeVarTuple("Ts")

_log = logging.getLogger("kv.blocking")


class _TrioToken(Protocol):
    def run_sync_soon(self, sync_fn: Callable[[], object]) -> None: ...


def _call_soon_threadsafe(native_token: object) -> Callable[[Callable[[], None]], None]:
    """A function that, from any thread, schedules a callback in the event loop.

    It never blocks and never fails: when the loop is closed or its run has
    finished, the callback is dropped (whatever it would release belonged to
    that loop).
    """
    if isinstance(native_token, asyncio.AbstractEventLoop):
        loop = native_token

        def soon_in_asyncio(callback: Callable[[], None]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed
                loop.call_soon_threadsafe(callback)

        return soon_in_asyncio

    token = cast(_TrioToken, native_token)

    def soon_in_trio(callback: Callable[[], None]) -> None:
        with contextlib.suppress(Exception):  # trio.RunFinishedError: that run is over
            token.run_sync_soon(callback)

    return soon_in_trio


class WouldBlock(Exception):  # noqa: N818 - a signal between a call and its runner
    """Raised by a call running inline that would have to wait, before it changed
    anything: the runner runs it again in the store's worker thread."""


_inline = threading.local()


def running_inline() -> bool:
    """Whether the current call runs inline, on the event loop's thread."""
    return getattr(_inline, "active", False)


class _Call:
    """Whether a call started, finished or was abandoned by its caller.

    The worker thread and the caller each ask, under the lock, who gives the
    call's place back: exactly one of them does.
    """

    __slots__ = ("abandoned", "finished", "lock", "started")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = False
        self.finished = False
        self.abandoned = False

    def start(self) -> bool:
        """In the thread: mark the call started; ``False`` if it was abandoned before."""
        with self.lock:
            if self.abandoned:
                return False
            self.started = True
            return True

    def end(self) -> bool:
        """In the thread: mark the call finished; ``True`` if the thread gives the place back."""
        with self.lock:
            self.finished = True
            return self.abandoned

    def abandon(self) -> bool:
        """In the cancelled caller: ``True`` if the caller gives the place back now."""
        with self.lock:
            self.abandoned = True
            return not self.started or self.finished


class BlockingCalls:
    """A per-store runner of blocking calls in worker threads.

    Args:
        max_threads: How many of this store's calls may run at once (1: one
            at a time, for engines that are not thread-safe).

    A cancelled caller returns at once; its call, if it already runs, finishes
    in the background while still counting against ``max_threads`` (see the
    module documentation). The limit also holds across event loops: a store
    used from a new loop while a call abandoned in an old one still runs waits
    for it in its worker thread.
    """

    def __init__(
        self, max_threads: int = 1, *, inline_budget: float | None = DEFAULT_INLINE_BUDGET
    ) -> None:
        if max_threads < 1:
            raise ValueError("max_threads must be >= 1")
        if inline_budget is not None and not inline_budget > 0:
            raise ValueError("inline_budget must be None or > 0 seconds")
        self.max_threads = max_threads
        self.inline_budget = inline_budget
        self.longest_inline = 0.0
        """Seconds of the longest call run inline, the worst stall of the event loop."""
        # Per kind of inline call: the monotonic time before which no call of
        # that kind runs inline, and its calls in a row over the budget.
        self._inline_again: dict[bool | str, float] = {}
        self._strikes: dict[bool | str, int] = {}
        self._limiter: anyio.CapacityLimiter | None = None
        self._threads: anyio.CapacityLimiter | None = None
        self._soon: Callable[[Callable[[], None]], None] | None = None
        self._limiter_owner: object = None
        # Counts the engine calls running, whatever their loop. One at a time
        # (the usual case) is a plain lock: taking it without waiting costs a
        # tenth of a BoundedSemaphore's (written in Python), on every call.
        self._running: threading.Lock | threading.BoundedSemaphore = (
            threading.Lock() if max_threads == 1 else threading.BoundedSemaphore(max_threads)
        )

    def _current_limiter(
        self,
    ) -> tuple[anyio.CapacityLimiter, Callable[[Callable[[], None]], None]]:
        """This loop's limiter, and how to schedule a callback in this loop."""
        import anyio.lowlevel

        token = anyio.lowlevel.current_token()
        if self._limiter is None or self._soon is None or self._limiter_owner != token:
            # A limiter belongs to one event loop; a store reused from another
            # loop (tests, anyio.run per command) gets a fresh one.
            self._limiter = anyio.CapacityLimiter(self.max_threads)
            # The store's limiter bounds its threads; this one only keeps
            # anyio's shared default limiter (40 threads for every store and
            # library of the process) out of the way, as before.
            self._threads = anyio.CapacityLimiter(math.inf)
            self._soon = _call_soon_threadsafe(getattr(token, "native_token", token))
            self._limiter_owner = token
        return self._limiter, self._soon

    async def __call__(
        self, func: Callable[[Unpack[Ts]], T], *args: Unpack[Ts], inline: bool | str = False
    ) -> T:
        """Run ``func(*args)`` in a worker thread (or inline) and return its result.

        With ``inline=True`` the call runs on the event loop's thread when the
        inline budget allows it and no call of the store runs in a thread (see
        the module documentation); otherwise in a worker thread. A text names
        the call's kind (``"read"``, ``"write"``): each kind has its own
        strikes and cooldown, so that writes that wait for the disk do not send
        the reads, which do not, to the thread.

        If the caller of a threaded call is cancelled, it returns at once
        (raising the cancellation) and the call is abandoned: not run if it
        had not started, otherwise left to finish in the background, still
        holding its place among this store's ``max_threads``.
        """
        if inline and self.inline_budget is not None and self._running.acquire(blocking=False):
            try:
                if not self._inline_again or time.monotonic() >= self._inline_again.get(
                    inline, 0.0
                ):
                    return self._run_inline(inline, func, *args)
            except WouldBlock:
                pass  # it would wait: run it in the thread, below
            finally:
                self._running.release()
        import anyio.to_thread

        limiter, soon = self._current_limiter()
        running = self._running
        borrower = _Call()
        await limiter.acquire_on_behalf_of(borrower)

        def release() -> None:
            limiter.release_on_behalf_of(borrower)

        def run() -> T | None:
            if not borrower.start():
                return None  # cancelled before it started: never run
            running.acquire()  # waits only for a call abandoned in another loop
            try:
                result = func(*args)
            except BaseException as error:
                running.release()
                if borrower.end():
                    soon(release)
                    _log.debug(
                        "A blocking call abandoned by its cancelled caller failed"
                        " in the background: %s",
                        type(error).__name__,
                    )
                raise
            running.release()
            if borrower.end():
                # Nobody takes the result: drop it (a database handle, say)
                # before the store's next call may start.
                del result
                soon(release)
                return None
            return result

        try:
            result = await anyio.to_thread.run_sync(
                run, abandon_on_cancel=True, limiter=self._threads
            )
        except BaseException:
            if borrower.abandon():
                release()
            # else: the thread gives the place back when its call returns.
            raise
        release()
        return cast(T, result)

    def _run_inline(
        self, kind: bool | str, func: Callable[[Unpack[Ts]], T], *args: Unpack[Ts]
    ) -> T:
        start = time.perf_counter()
        _inline.active = True
        try:
            return func(*args)
        finally:
            _inline.active = False
            elapsed = time.perf_counter() - start
            if elapsed > self.longest_inline:
                self.longest_inline = elapsed
            budget = self.inline_budget
            if budget is None or elapsed <= budget:
                if self._strikes:
                    self._strikes.pop(kind, None)
            else:
                strikes = self._strikes[kind] = self._strikes.get(kind, 0) + 1
                if strikes >= INLINE_STRIKES:
                    self._inline_again[kind] = time.monotonic() + INLINE_COOLDOWN
                    del self._strikes[kind]

    async def finish(self, func: Callable[[Unpack[Ts]], T], *args: Unpack[Ts]) -> T:
        """Run ``func(*args)`` in a worker thread; a cancelled caller waits for it.

        For calls whose result must not be dropped, such as opening a
        database that holds a lock until it is closed. The cancellation takes
        effect when the call has returned.
        """
        import anyio.to_thread

        limiter, _ = self._current_limiter()
        running = self._running

        def run() -> T:
            with running:
                return func(*args)

        return await anyio.to_thread.run_sync(run, limiter=limiter)


class Engine(Generic[E]):
    """A store's engine object (``handle``) and how its blocking calls run.

    Args:
        calls: The store's runner (its ``max_threads`` and ``inline_budget``).
        closed: The message of the :class:`~kv.errors.StoreConnectionError`
            a call raises while the store has no handle (not opened yet, or
            closed), such as ``"The RocksDB database is closed"``.
        lock: Hold a :class:`threading.Lock` around every call, :meth:`finish`
            included (for an engine object that must never see two calls at
            once, even a call abandoned in another event loop). A call running
            inline that finds the lock taken raises :class:`WouldBlock` and
            runs again in the thread, where it waits.

    The store sets :attr:`handle` once it has opened the engine (in
    ``_open``) and takes it back with :meth:`close` (in ``_close``)::

        self._engine = Engine[Rdict](BlockingCalls(1), closed="The database is closed")
        ...
        self._engine.handle = await self._engine.calls.finish(open_database)
        stored = await self._engine.run(lambda db: db.get(key), inline=True)
    """

    __slots__ = ("calls", "closed", "handle", "lock", "lock_token")

    def __init__(self, calls: BlockingCalls, *, closed: str, lock: bool = False) -> None:
        self.calls = calls
        self.closed = closed
        self.handle: E | None = None
        """The engine object while the store is open, else ``None``."""
        self.lock: threading.Lock | None = threading.Lock() if lock else None
        self.lock_token: str | None = None
        """kv's hold on the database while the handle is open (:mod:`kv.dirlock`), if any."""

    async def run(self, call: Callable[[E], T], *, inline: bool | str = False) -> T:
        """Run ``call(handle)`` through :attr:`calls` (inline when ``inline``
        and the budget allow it) and return its result.

        Raises:
            StoreConnectionError: the store has no handle (``closed``).
        """
        handle = self.handle
        if handle is None:
            raise StoreConnectionError(self.closed)
        lock = self.lock
        if lock is None:
            return await self.calls(call, handle, inline=inline)

        def locked() -> T:
            if not lock.acquire(blocking=not running_inline()):
                raise WouldBlock
            try:
                return call(handle)
            finally:
                lock.release()

        return await self.calls(locked, inline=inline)

    async def finish(self, func: Callable[[Unpack[Ts]], T], *args: Unpack[Ts]) -> T:
        """Run ``func(*args)`` with :meth:`BlockingCalls.finish` (under the lock,
        if any): for opening and closing the engine."""
        lock = self.lock
        if lock is None:
            return await self.calls.finish(func, *args)

        def locked() -> T:
            with lock:
                return func(*args)

        return await self.calls.finish(locked)

    def close(self) -> E | None:
        """Forget the handle and return it (``None`` if there was none): later
        calls raise ``closed``; the store then closes the engine object."""
        handle, self.handle = self.handle, None
        return handle
