"""Memcached's text protocol over aiomcache's connection pool, one server at a time.

kv-memcached uses aiomcache for its connections (a pool of asyncio streams per
server) and sends its own commands over them, because it needs what
aiomcache's command methods do not do:

* **pipelining**: ``put_many``/``delete_many`` write every command in one go
  and then read the replies, one round trip per server; ``get_many`` sends
  every key in one write;
* **a broken connection is never reused**: any error or cancellation in the
  middle of a reply discards the connection (aiomcache's own commands return a
  half-read connection to the pool when cancelled, and spin on a connection
  closed by the server);
* **a stale connection is retried once**: a connection that the server closed
  while it sat in the pool (a restarted server) fails on first use; the
  command is sent again on a new connection if nothing had been read yet;
* **errors name the server** and become kv errors:
  :class:`~kv.errors.StoreConnectionError` (refused, reset, closed, name not
  resolved) and :class:`~kv.errors.StoreTimeoutError` (no answer within the
  store's timeout).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from aiomcache.pool import Connection, MemcachePool

from kv.errors import StoreConnectionError, StoreError, StoreTimeoutError

__all__ = ["KEYS_PER_GET", "MemcachedServer", "ProtocolError"]

T = TypeVar("T")

KEYS_PER_GET = 500
"""Keys per ``get`` line; longer lists are sent as several lines in one write."""

_END = b"END\r\n"
_CRLF = b"\r\n"


class ProtocolError(StoreError):
    """Memcached answered something this client does not expect."""


class _ExpiredError(Exception):
    """Set on a connection's reader when a command's time is up."""


def _expire(reader: asyncio.StreamReader) -> None:
    if reader.exception() is None:
        reader.set_exception(_ExpiredError())


class _Progress:
    """Whether any reply was read yet (a command is only retried before that)."""

    __slots__ = ("replied",)

    def __init__(self) -> None:
        self.replied = False


Command = Callable[[Connection, _Progress], Awaitable[T]]


class MemcachedServer:
    """One memcached server: a connection pool and the commands kv needs.

    Args:
        host: Host name or address.
        port: TCP port.
        max_connections: Most connections open to this server at once.
        timeout: Seconds a command may take, connecting included (``None``: no limit).
    """

    def __init__(
        self, host: str, port: int, *, max_connections: int, timeout: float | None
    ) -> None:
        self.host = host
        self.port = port
        self.name = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
        self.timeout = timeout
        self._pool = MemcachePool(host, port, minsize=1, maxsize=max_connections)
        # Callers take a slot, first come first served, before the pool: the
        # pool's own wait lets a newcomer take a connection ahead of a caller
        # that has waited, so under load some callers starved until their
        # timeout. With one slot per connection the pool never makes anyone wait.
        self._slots = asyncio.Semaphore(max_connections)

    def __repr__(self) -> str:
        return f"<MemcachedServer {self.name}>"

    async def close(self) -> None:
        """Close the idle connections (connections in use close when released)."""
        await self._pool.clear()

    # --- running a command -----------------------------------------------------------

    async def _run(self, command: Command[T]) -> T:
        """Run ``command`` on a pooled connection: once more on a fresh one if a stale
        connection failed before any reply, within ``timeout`` per attempt."""
        timeout = self.timeout
        retried = False
        while True:
            connection = await self._acquire()
            progress = _Progress()
            # A timer, not asyncio.timeout(): it costs a fifth as much per call. When
            # it fires it fails the pending read, which discards the connection.
            timer = (
                None
                if timeout is None
                else asyncio.get_running_loop().call_later(timeout, _expire, connection.reader)
            )
            try:
                return await command(connection, progress)
            except _ExpiredError:
                _discard(connection, ConnectionAbortedError("timed out"))
                raise self._timeout_error() from None
            except (OSError, EOFError) as error:  # refused, reset, closed mid-reply
                _discard(connection, error)
                if retried or progress.replied:
                    raise self._connection_error(error) from error
                retried = True
            except BaseException as error:  # a half-read reply: never reuse it
                _discard(connection, error)
                raise
            finally:
                if timer is not None:
                    timer.cancel()
                self._pool.release(connection)
                self._slots.release()

    async def _acquire(self) -> Connection:
        """A call slot, then a connection from the pool, within ``timeout`` in all.

        The caller owns the slot until ``_run`` releases it with the connection.
        """
        timeout = self.timeout
        slots = self._slots
        try:
            if timeout is None or not slots.locked():
                await slots.acquire()  # a free slot: no wait
            elif sys.version_info >= (3, 11):
                async with asyncio.timeout(timeout):
                    await slots.acquire()
            else:  # pragma: no cover - Python 3.10
                await asyncio.wait_for(slots.acquire(), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            raise self._timeout_error() from None
        try:
            idle: asyncio.Queue[Connection] | None = getattr(self._pool, "_pool", None)
            if timeout is None or (idle is not None and not idle.empty()):
                return await self._pool.acquire()  # an idle connection: no wait
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(timeout):
                    return await self._pool.acquire()
            return await asyncio.wait_for(self._pool.acquire(), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            slots.release()
            raise self._timeout_error() from None
        except (OSError, EOFError) as error:
            slots.release()
            raise self._connection_error(error) from error
        except BaseException:
            slots.release()
            raise

    def _timeout_error(self) -> StoreTimeoutError:
        return StoreTimeoutError(
            f"Memcached server {self.name} did not answer within {self.timeout:g} s"
        )

    def _connection_error(self, error: BaseException) -> StoreConnectionError:
        if isinstance(error, asyncio.IncompleteReadError):
            reason = "the server closed the connection"
        else:
            reason = str(error) or type(error).__name__
        return StoreConnectionError(f"Memcached server {self.name}: {reason}")

    # --- commands ------------------------------------------------------------------------

    async def get_many(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        """Read ``keys`` in one round trip; the result holds only the keys found."""
        lines = [
            b"get " + b" ".join(keys[start : start + KEYS_PER_GET]) + _CRLF
            for start in range(0, len(keys), KEYS_PER_GET)
        ]
        request = b"".join(lines)

        async def command(connection: Connection, progress: _Progress) -> dict[bytes, bytes]:
            connection.writer.write(request)
            found: dict[bytes, bytes] = {}
            for _ in lines:
                await _read_values(connection.reader, found, progress)
            return found

        return await self._run(command)

    async def set_many(self, items: Sequence[tuple[bytes, bytes, int]]) -> list[bytes]:
        """Store ``(key, value, exptime)`` items in order, in one round trip.

        Returns each command's reply line (``b"STORED"`` or a ``SERVER_ERROR``
        such as ``b"SERVER_ERROR object too large for cache"``).
        """
        parts: list[bytes] = []
        for key, value, exptime in items:
            parts.append(b"set %b 0 %d %d\r\n" % (key, exptime, len(value)))
            parts.append(value)
            parts.append(_CRLF)
        request = b"".join(parts)

        async def command(connection: Connection, progress: _Progress) -> list[bytes]:
            connection.writer.write(request)
            replies: list[bytes] = []
            for _ in items:
                line = await _read_line(connection.reader, progress)
                if line != b"STORED" and not line.startswith(b"SERVER_ERROR "):
                    raise ProtocolError(f"Memcached server {self.name} answered set with {line!r}")
                replies.append(line)
            return replies

        return await self._run(command)

    async def take_many(self, keys: Sequence[bytes]) -> tuple[dict[bytes, bytes], list[bool]]:
        """Read, then delete, ``keys`` in one round trip.

        Returns the values found (to tell live entries from expired ones) and,
        per key, whether the server deleted it.
        """
        lines = [
            b"get " + b" ".join(keys[start : start + KEYS_PER_GET]) + _CRLF
            for start in range(0, len(keys), KEYS_PER_GET)
        ]
        request = b"".join(lines) + b"".join(b"delete " + key + _CRLF for key in keys)

        async def command(
            connection: Connection, progress: _Progress
        ) -> tuple[dict[bytes, bytes], list[bool]]:
            connection.writer.write(request)
            found: dict[bytes, bytes] = {}
            for _ in lines:
                await _read_values(connection.reader, found, progress)
            deleted: list[bool] = []
            for _ in keys:
                line = await _read_line(connection.reader, progress)
                if line not in (b"DELETED", b"NOT_FOUND"):
                    raise ProtocolError(
                        f"Memcached server {self.name} answered delete with {line!r}"
                    )
                deleted.append(line == b"DELETED")
            return found, deleted

        return await self._run(command)


def _discard(connection: Connection, error: BaseException) -> None:
    """Mark ``connection`` broken: the pool closes it on release."""
    if connection.reader.exception() is None:
        reason = error if isinstance(error, Exception) else ConnectionAbortedError(repr(error))
        connection.reader.set_exception(reason)


async def _read_line(reader: asyncio.StreamReader, progress: _Progress) -> bytes:
    line = await reader.readuntil(_CRLF)
    progress.replied = True
    return line[:-2]


async def _read_values(
    reader: asyncio.StreamReader, found: dict[bytes, bytes], progress: _Progress
) -> None:
    """Read one ``get`` reply (``VALUE`` blocks up to ``END``) into ``found``."""
    while True:
        line = await reader.readuntil(_CRLF)
        progress.replied = True
        if line == _END:
            return
        parts = line.split()
        if len(parts) < 4 or parts[0] != b"VALUE" or not parts[3].isdigit():
            raise ProtocolError(f"Memcached answered get with {line[:80]!r}")
        data = await reader.readexactly(int(parts[3]) + 2)
        if data[-2:] != _CRLF:
            raise ProtocolError("Memcached sent a value without its line end")
        found[parts[1]] = data[:-2]
