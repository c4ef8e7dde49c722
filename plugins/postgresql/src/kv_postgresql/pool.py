"""The connections a store runs its statements on.

:class:`ConnectionPool` is the store's own pool of asyncpg connections. It is
deliberately small: idle connections wait in a list, a semaphore bounds how
many are open, and taking or returning one never yields to the event loop.
(asyncpg's ``Pool`` spends two or three extra event-loop iterations per call
on its release task, ``shield`` and reset, which doubled the cost of a
``get``; every statement here is a single autocommit statement that changes
no session state, so none of that is needed.)

* A connection that failed for any reason other than an SQL error from the
  server (lost, timed out, cancelled mid-statement) is terminated, never
  reused; the next call opens a new one. So after a server restart the same
  pool carries on.
* A statement that fails because an *idle* connection turned out to be dead
  (the server restarted while it sat in the pool) is sent once more on a new
  connection.

:class:`PoolAdapter` runs the same calls on an ``asyncpg.Pool`` that the
user passed in (and that the store never closes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from asyncpg import exceptions as pg

__all__ = ["ConnectionPool", "PoolAdapter", "is_connection_loss"]

T = TypeVar("T")

Connect = Callable[[], Awaitable[asyncpg.Connection]]

_CONNECTION_LOSS: tuple[type[BaseException], ...] = (
    pg.PostgresConnectionError,  # class 08, incl. "connection was closed in the middle"
    pg.AdminShutdownError,
    pg.CrashShutdownError,
    pg.CannotConnectNowError,
    ConnectionError,
    EOFError,
)


def is_connection_loss(error: BaseException) -> bool:
    """Whether ``error`` means the connection (or the server) went away."""
    if isinstance(error, _CONNECTION_LOSS):
        return True
    return isinstance(error, pg.InterfaceError) and "closed" in str(error)


class ConnectionPool:
    """At most ``max_size`` asyncpg connections, made by ``connect`` when needed.

    Args:
        connect: Opens one connection.
        max_size: Most connections open at once (callers beyond wait).
    """

    def __init__(self, connect: Connect, *, max_size: int) -> None:
        self._connect = connect
        self._idle: list[asyncpg.Connection] = []
        self._slots = asyncio.Semaphore(max_size)
        self._closed = False

    @property
    def idle(self) -> int:
        """How many connections are open and unused."""
        return len(self._idle)

    async def fill(self, count: int) -> None:
        """Open connections until ``count`` are idle (at setup, for ``min_size``)."""
        missing = count - len(self._idle)
        if missing > 0:
            opened = await asyncio.gather(*(self._connect() for _ in range(missing)))
            self._idle.extend(opened)

    async def _acquire(self) -> tuple[asyncpg.Connection, bool]:
        """A connection and whether it was idle (reused) rather than new."""
        await self._slots.acquire()  # no suspension while a slot is free
        try:
            while self._idle:
                connection = self._idle.pop()
                if not connection.is_closed():
                    return connection, True
            return await self._connect(), False
        except BaseException:
            self._slots.release()
            raise

    def _release(self, connection: asyncpg.Connection, *, broken: bool) -> None:
        if broken or self._closed or connection.is_closed():
            if not connection.is_closed():
                connection.terminate()
        else:
            self._idle.append(connection)
        self._slots.release()

    async def _call(self, run: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        retried = False
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

    async def close(self, timeout: float) -> None:
        """Close the idle connections; connections in use close when released."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await _close_quietly(connection, timeout)


class PoolAdapter:
    """The same calls on a user's ``asyncpg.Pool`` (never closed by the store)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def execute(self, query: str, *args: object) -> str:
        """Run a statement; return its status."""
        return await self.pool.execute(query, *args)

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        """Run a query; return every row."""
        return await self.pool.fetch(query, *args)

    async def fetchrow(self, query: str, *args: object) -> asyncpg.Record | None:
        """Run a query; return its first row."""
        return await self.pool.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: object) -> Any:
        """Run a query; return the first column of its first row."""
        return await self.pool.fetchval(query, *args)

    async def with_connection(self, run: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run ``run(connection)`` on one pooled connection."""
        async with self.pool.acquire() as connection:
            return await run(connection)  # type: ignore[arg-type]

    async def close(self, timeout: float) -> None:
        """Nothing: the user's pool stays open."""


async def _close_quietly(connection: asyncpg.Connection, timeout: float) -> None:
    """Close ``connection`` politely, or drop it if that fails (it may be broken)."""
    try:
        await connection.close(timeout=timeout)
    except Exception:
        connection.terminate()
