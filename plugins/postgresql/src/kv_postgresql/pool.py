"""The connections a store runs its statements on.

:class:`ConnectionPool` is the store's own pool of asyncpg connections, one
per event loop (the store keeps them in a :class:`kv.loops.PerLoop`: an
asyncpg connection works only in the loop that opened it). It is
deliberately small: idle connections wait in a list and taking or returning
one never yields to the event loop. (asyncpg's ``Pool`` spends two or three
extra event-loop iterations per call on its release task, ``shield`` and
reset, which doubled the cost of a ``get``; every statement here is a single
autocommit statement that changes no session state, so none of that is
needed.)

* At most ``max_size`` connections are open. A caller that finds none free
  waits in line (first come, first served) for one to be returned, up to
  ``wait_timeout`` seconds, then gets :class:`PoolTimeoutError`; it is never
  refused for being one too many. If the server itself refuses a new
  connection for having too many clients while this pool has some open, the
  caller waits for one of those instead.
* A connection that failed for any reason other than an SQL error from the
  server (lost, timed out, cancelled mid-statement) is terminated, never
  reused; the next call opens a new one. So after a server restart the same
  pool carries on.
* A statement that fails because an *idle* connection turned out to be dead
  (the server restarted while it sat in the pool) is sent once more on a new
  connection.
* The pool closes itself, politely, when its event loop shuts down through
  ``asyncio.run`` (or anything else that calls ``loop.shutdown_asyncgens()``):
  it registers an asynchronous generator whose ``finally`` closes it. A pool
  whose loop was closed without that is :meth:`ConnectionPool.discard`-ed.

:class:`PoolAdapter` runs the same calls on an ``asyncpg.Pool`` that the
user passed in (and that the store never closes).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from asyncpg import exceptions as pg

__all__ = ["ConnectionPool", "PoolAdapter", "PoolTimeoutError", "is_connection_loss"]

T = TypeVar("T")

Connect = Callable[[], Awaitable[asyncpg.Connection]]

Waiter = asyncio.Future["asyncpg.Connection | None"]
"""A caller in line: set to a connection handed over, or ``None`` for a slot reserved."""

_CONNECTION_LOSS: tuple[type[BaseException], ...] = (
    pg.PostgresConnectionError,  # class 08, incl. "connection was closed in the middle"
    pg.AdminShutdownError,
    pg.CrashShutdownError,
    pg.CannotConnectNowError,
    ConnectionError,
    EOFError,
)

_CONFLICTS = (pg.DeadlockDetectedError, pg.SerializationError)
"""Errors (40P01, 40001) for which the server rolled the statement back because of
another transaction: sent again, up to :data:`CONFLICT_RETRIES` times."""

CONFLICT_RETRIES = 3

_ABANDONED_BEFORE_COLLECT = 16
"""Connections abandoned (their loop closed without shutting the pool down)
after which :meth:`ConnectionPool.discard` runs the garbage collector, which
is the only thing that can close their sockets without their loop."""

_abandoned = 0


def is_connection_loss(error: BaseException) -> bool:
    """Whether ``error`` means the connection (or the server) went away."""
    if isinstance(error, _CONNECTION_LOSS):
        return True
    return isinstance(error, pg.InterfaceError) and "closed" in str(error)


class PoolTimeoutError(TimeoutError):
    """No connection of the pool became free within the wait timeout."""


class PoolClosedError(ConnectionResetError):
    """The pool was closed (the store was closed) while a call waited for a connection."""


class ConnectionPool:
    """At most ``max_size`` asyncpg connections of one event loop, made by ``connect``.

    Build it inside the loop that will use it, then :meth:`start` it.

    Args:
        connect: Opens one connection.
        max_size: Most connections open at once (callers beyond wait in line).
        wait_timeout: Seconds a caller waits for a free connection (``None``:
            no limit), then :class:`PoolTimeoutError`.
        close_timeout: Seconds to close a connection politely before dropping it.
    """

    def __init__(
        self,
        connect: Connect,
        *,
        max_size: int,
        wait_timeout: float | None = None,
        close_timeout: float = 10.0,
    ) -> None:
        self._connect = connect
        self._idle: list[asyncpg.Connection] = []
        self._max_size = max_size
        self._limit = max_size  # lowered if the server refuses more clients
        self._open = 0  # connections open or being opened
        # Callers in line, first come first served, each with the loop time it gives up at.
        self._waiters: deque[tuple[float, Waiter]] = deque()
        self._timer: asyncio.TimerHandle | None = None  # at the earliest deadline in line
        self._wait_timeout = wait_timeout
        self._close_timeout = close_timeout
        self._closed = False
        self._discarding = False
        self.loop = asyncio.get_running_loop()
        self._lifetime: AsyncGenerator[None, None] | None = None

    def __repr__(self) -> str:
        return (
            f"<ConnectionPool open={self._open} idle={len(self._idle)}"
            f" waiting={len(self._waiters)} max_size={self._max_size}>"
        )

    @property
    def idle(self) -> int:
        """How many connections are open and unused."""
        return len(self._idle)

    @property
    def size(self) -> int:
        """How many connections are open (or being opened)."""
        return self._open

    async def start(self, min_size: int = 0) -> None:
        """Tie the pool to its loop's shutdown, then open ``min_size`` connections."""
        lifetime = self._lifetime = self._live()
        await lifetime.__anext__()  # registered with the loop, suspended at its yield
        try:
            await self.fill(min_size)
        except BaseException:
            await self.close()
            raise

    async def _live(self) -> AsyncGenerator[None, None]:
        """Suspended for the pool's life; ``loop.shutdown_asyncgens()`` closes it."""
        try:
            yield
        finally:
            if self._discarding:
                self._abandon()
            else:
                await self._shutdown()

    async def fill(self, count: int) -> None:
        """Open connections until ``count`` are idle (at setup, for ``min_size``)."""
        missing = min(count - len(self._idle), self._limit - self._open)
        if missing <= 0:
            return
        self._open += missing
        try:
            results = await asyncio.gather(
                *(self._connect() for _ in range(missing)), return_exceptions=True
            )
        except BaseException:  # cancelled: the connections being opened are dropped
            self._open -= missing
            raise
        failure: BaseException | None = None
        for result in results:
            if isinstance(result, BaseException):
                self._open -= 1
                failure = failure or result
            else:
                self._release(result, broken=False)
        if failure is not None:
            raise failure

    async def _acquire(self) -> tuple[asyncpg.Connection, bool]:
        """A connection and whether it was idle (reused) rather than new."""
        deadline: float | None = None
        while True:
            if self._closed:
                raise PoolClosedError("the store was closed")
            while self._idle:  # no suspension while one is idle
                connection = self._idle.pop()
                if not connection.is_closed():
                    return connection, True
                self._open -= 1
            if self._open < self._limit:
                self._open += 1  # this caller's slot
            else:
                if deadline is None and self._wait_timeout is not None:
                    deadline = self.loop.time() + self._wait_timeout
                handed = await self._wait(deadline)
                if handed is not None:
                    return handed, True
                # A slot was freed and reserved for this caller (counted in _open).
            try:
                return await self._connect(), False
            except BaseException as error:
                self._open -= 1
                if isinstance(error, pg.TooManyConnectionsError) and self._open > 0:
                    # The server is full: keep to the connections this pool has, and wait
                    # for one of them to come back.
                    self._limit = self._open
                    continue
                self._free_slot()
                raise

    async def _wait(self, deadline: float | None) -> asyncpg.Connection | None:
        """Wait in line: a connection handed over, or ``None`` for a slot reserved."""
        waiter: Waiter = self.loop.create_future()
        if deadline is None:
            deadline = float("inf")
        elif self._timer is None or deadline < self._timer.when():
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self.loop.call_at(deadline, self._expire)
        self._waiters.append((deadline, waiter))
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                handed = waiter.result()  # handed over just as this call was cancelled
                if handed is not None:
                    self._release(handed, broken=False)
                else:
                    self._open -= 1
                    self._free_slot()
            raise
        finally:
            if not waiter.done():
                waiter.cancel()  # skipped by _next_waiter

    def _expire(self) -> None:
        """Fail the callers whose deadline passed; wake again at the next deadline.

        One timer for the whole line, not one per caller: a timer made and
        cancelled for every wait cost a large share of the throughput with 200
        tasks on 10 connections. Deadlines come in arrival order, so this runs
        about once per ``wait_timeout`` while callers keep being served.
        """
        self._timer = None
        now = self.loop.time()
        waiting: deque[tuple[float, Waiter]] = deque()
        for deadline, waiter in self._waiters:
            if waiter.done():
                continue
            if deadline <= now:
                waiter.set_exception(
                    PoolTimeoutError(
                        f"no connection became free within {self._wait_timeout} s"
                        f" ({self._open} open and busy, max_size={self._max_size})"
                    )
                )
            else:
                waiting.append((deadline, waiter))
        self._waiters = waiting
        if waiting:
            earliest = min(deadline for deadline, _ in waiting)
            if earliest != float("inf"):
                self._timer = self.loop.call_at(earliest, self._expire)

    def _next_waiter(self) -> Waiter | None:
        while self._waiters:
            _, waiter = self._waiters.popleft()
            if not waiter.done():
                return waiter
        return None

    def _free_slot(self) -> None:
        """A slot is free: reserve it for the first caller in line, if any."""
        if self._open < self._limit and not self._closed:
            waiter = self._next_waiter()
            if waiter is not None:
                self._open += 1
                waiter.set_result(None)

    def _release(self, connection: asyncpg.Connection, *, broken: bool) -> None:
        if broken or self._closed or connection.is_closed():
            if not connection.is_closed():
                connection.terminate()
            self._open -= 1
            self._limit = self._max_size  # the server may have room again
            self._free_slot()
            return
        waiter = self._next_waiter()
        if waiter is None:
            self._idle.append(connection)
        else:
            waiter.set_result(connection)  # handed over, first come first served

    async def _call(self, run: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        retried = False
        conflicts = 0
        while True:
            connection, reused = await self._acquire()
            broken = True  # unless the statement ran, or the server refused it (an SQL error)
            try:
                result = await run(connection)
                broken = False
            except BaseException as error:
                # A connection found closed after the failure was lost, whatever asyncpg
                # raised (an idle connection of a dead server can fail with an
                # InternalClientError about its protocol state).
                lost = is_connection_loss(error) or connection.is_closed()
                broken = lost or not isinstance(error, pg.PostgresError)
                if lost and reused and not retried:
                    retried = True  # a dead idle connection: once more on a new one
                    continue
                if isinstance(error, _CONFLICTS) and conflicts < CONFLICT_RETRIES:
                    conflicts += 1  # rolled back, so nothing happened: send it again
                    continue
                if lost and not is_connection_loss(error):
                    raise ConnectionResetError(f"the connection was lost ({error})") from error
                raise
            finally:
                self._release(connection, broken=broken)
            return result

    async def execute(self, query: str, *args: object) -> str:
        """Run a statement; return its status (``"DELETE 3"``)."""
        return await self._call(lambda connection: connection.execute(query, *args))

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        """Run a query; return every row."""
        return await self._call(lambda connection: connection.fetch(query, *args))

    async def fetchrow(self, query: str, *args: object) -> asyncpg.Record | None:
        """Run a query; return its first row."""
        return await self._call(lambda connection: connection.fetchrow(query, *args))

    async def fetchval(self, query: str, *args: object) -> Any:
        """Run a query; return the first column of its first row."""
        return await self._call(lambda connection: connection.fetchval(query, *args))

    async def with_connection(self, run: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run ``run(connection)`` (several statements, a transaction) on one connection."""
        return await self._call(run)

    async def close(self) -> None:
        """Close the idle connections (in the pool's loop); those in use close when released.

        Callers waiting for a connection get :class:`PoolClosedError`.
        """
        lifetime, self._lifetime = self._lifetime, None
        if lifetime is not None:
            await lifetime.aclose()  # runs its finally: _shutdown()
        await self._shutdown()

    async def _shutdown(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiters:
            _, waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(PoolClosedError("the store was closed"))
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        await asyncio.gather(*(_close_quietly(c, self._close_timeout) for c in idle))

    def discard(self) -> None:
        """Let go of the pool without awaiting (its loop closed, or runs in another thread).

        Never raises. In a loop that still runs, the idle connections are
        terminated there; in a closed loop nothing can close them any more,
        so they are dropped and, every few such connections, the garbage
        collector is run to close their sockets.
        """
        with contextlib.suppress(Exception):
            self._discard()

    def _discard(self) -> None:
        self._closed = True
        loop = self.loop
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile: handled below
                loop.call_soon_threadsafe(self._terminate_idle)
                return
        lifetime, self._lifetime = self._lifetime, None
        if lifetime is not None:
            # Finish the generator now (its finally does not suspend when discarding), so
            # the collector never asks the closed loop to finalize it.
            self._discarding = True
            closing = lifetime.aclose().__await__()
            with contextlib.suppress(StopIteration, GeneratorExit, RuntimeError):
                closing.send(None)
        self._abandon()

    def _terminate_idle(self) -> None:
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection in idle:
            with contextlib.suppress(Exception):
                connection.terminate()

    def _abandon(self) -> None:
        """Drop the idle connections of a closed loop (see :meth:`discard`)."""
        global _abandoned
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection in idle:
            if not connection.is_closed():
                with contextlib.suppress(Exception):
                    connection.terminate()  # marks it aborted; its socket needs the loop
                _abandoned += 1
        idle.clear()
        if _abandoned >= _ABANDONED_BEFORE_COLLECT:
            _abandoned = 0
            gc.collect()  # closes the sockets of unreachable transports


class PoolAdapter:
    """The same calls on a user's ``asyncpg.Pool`` (never closed by the store)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def execute(self, query: str, *args: object) -> str:
        """Run a statement; return its status."""
        return await _retry_conflicts(lambda: self.pool.execute(query, *args))

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        """Run a query; return every row."""
        return await _retry_conflicts(lambda: self.pool.fetch(query, *args))

    async def fetchrow(self, query: str, *args: object) -> asyncpg.Record | None:
        """Run a query; return its first row."""
        return await _retry_conflicts(lambda: self.pool.fetchrow(query, *args))

    async def fetchval(self, query: str, *args: object) -> Any:
        """Run a query; return the first column of its first row."""
        return await _retry_conflicts(lambda: self.pool.fetchval(query, *args))

    async def with_connection(self, run: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run ``run(connection)`` on one pooled connection."""

        async def once() -> T:
            async with self.pool.acquire() as connection:
                return await run(connection)  # type: ignore[arg-type]

        return await _retry_conflicts(once)

    async def close(self) -> None:
        """Nothing: the user's pool stays open."""


async def _retry_conflicts(call: Callable[[], Awaitable[T]]) -> T:
    """``await call()``, again (up to CONFLICT_RETRIES times) if rolled back for a conflict."""
    for _ in range(CONFLICT_RETRIES):
        with contextlib.suppress(*_CONFLICTS):
            return await call()
    return await call()


async def _close_quietly(connection: asyncpg.Connection, timeout: float) -> None:
    """Close ``connection`` politely, or drop it if that fails (it may be broken)."""
    try:
        await connection.close(timeout=timeout)
    except Exception:
        with contextlib.suppress(Exception):
            connection.terminate()
