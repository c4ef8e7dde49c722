"""Memcached's text protocol, over kv-memcached's own connection pool, one server at a time.

kv-memcached speaks the protocol itself (no client library), because it needs
what the Python clients do not give through their public API:

* **pipelining**: ``put_many``/``delete_many`` send every command in one go
  and then read the replies, one round trip per server; ``get_many`` sends
  every key in one write;
* **a broken connection is never reused**: any error, timeout or
  cancellation in the middle of a reply closes the connection;
* **a stale connection is retried once**: a connection that the server closed
  while it sat in the pool (a restarted server) fails on first use; the
  command is sent again on a new connection if nothing had been read yet;
* **a conditional write is never sent twice**: ``add``, ``cas`` and the meta
  ``md`` (the atomic operations) may have been done by the server when the
  connection broke, so they are not retried; instead an idle connection the
  server has closed is dropped before one is sent;
* **callers are served first come, first served**: a caller takes one of
  ``max_connections`` call slots (a FIFO :class:`anyio.Semaphore`) before a
  connection, so a caller that has waited is never overtaken by a newcomer;
* **errors name the server** and become kv errors:
  :class:`~kv.errors.StoreConnectionError` (refused, reset, closed, name not
  resolved) and :class:`~kv.errors.StoreTimeoutError` (no answer within the
  store's timeout).

It runs under asyncio and trio. Under asyncio a connection is a pair of
asyncio streams and a command's timeout is one loop timer that aborts the
connection when it fires: anyio's socket streams and cancel scopes cost about
20 µs more per round trip there (measured with ``bench_memcached.py``). Under
any other event loop (trio) a connection is an anyio socket stream
(:func:`anyio.connect_tcp`) and the timeout is :func:`anyio.fail_after`.
Connections belong to the event loop that opened them: the store keeps one
:class:`MemcachedServer` per server and per running loop
(:class:`kv.loops.PerLoop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import ClassVar, TypeVar

import anyio
import anyio.abc

from kv.errors import StoreConnectionError, StoreError, StoreTimeoutError

__all__ = [
    "KEYS_PER_GET",
    "AnyioConnection",
    "Connection",
    "MemcachedServer",
    "ProtocolError",
    "StreamConnection",
]

T = TypeVar("T")

KEYS_PER_GET = 500
"""Keys per ``get`` line; longer lists are sent as several lines in one write."""

SEND_AHEAD = 64 * 1024
"""Requests up to this size are sent whole before the replies are read, on
connections whose sends wait for the peer (anyio's).

A larger request is sent while the replies are read: a server that is
blocked writing replies nobody reads stops reading the rest of the request,
so sending it all first could wait forever."""

MAX_LINE = 64 * 1024
"""Longest reply line accepted (a ``VALUE`` line holds a 250-byte key)."""

_CRLF = b"\r\n"
_END = b"END\r\n"
_RECEIVE = 64 * 1024
_RECEIVE_LARGE = 1024 * 1024

_BROKEN = (
    OSError,
    EOFError,
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
)
"""What a refused, reset or closed connection raises (asyncio's and anyio's)."""


class ProtocolError(StoreError):
    """Memcached answered something this client does not expect."""


class Connection:
    """One TCP connection to a memcached server: what a command needs of it.

    Reads go through two callables with the contract of asyncio's
    :class:`~asyncio.StreamReader` (called directly on the hot path):
    ``readuntil(b"\\r\\n")`` returns the next line, its ``\\r\\n`` included, and
    ``readexactly(size)`` the next ``size`` bytes. A command sets ``replied``
    once it has read a whole reply line (it is only retried before);
    ``expired`` tells whether :meth:`expire` broke the connection.
    """

    __slots__ = ("expired", "readexactly", "readuntil", "replied")

    sends_ahead: ClassVar[bool] = True
    """Whether :meth:`send` returns without waiting for the peer to read."""

    def __init__(
        self,
        readuntil: Callable[[bytes], Awaitable[bytes]],
        readexactly: Callable[[int], Awaitable[bytes]],
    ) -> None:
        self.readuntil = readuntil
        self.readexactly = readexactly
        self.replied = False
        self.expired = False

    async def send(self, data: bytes) -> None:
        """Send ``data`` whole."""
        raise NotImplementedError

    def peer_closed(self) -> bool:
        """Whether the server is known to have closed this idle connection (or sent
        something unasked): checked, without waiting, before a command that is not
        retried."""
        return False

    def expire(self) -> None:
        """Break the connection now, from a timer: its pending read fails."""
        raise NotImplementedError

    def watch(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        """Expire the connection if the command starting now runs past ``timeout``."""
        raise NotImplementedError

    def unwatch(self) -> None:
        """The command ended: its deadline no longer applies."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close at once, even in a cancelled scope."""
        raise NotImplementedError


class StreamConnection(Connection):
    """A connection made of asyncio streams (under asyncio).

    A send only buffers: asyncio's transport writes in the background.
    """

    __slots__ = ("_busy", "_deadline", "_reader", "_watchdog", "_writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super().__init__(reader.readuntil, reader.readexactly)
        self._reader = reader
        self._writer = writer
        self._busy = False
        self._deadline = 0.0
        self._watchdog: asyncio.TimerHandle | None = None

    @classmethod
    async def open(cls, host: str, port: int) -> StreamConnection:
        """Connect to ``host:port``."""
        reader, writer = await asyncio.open_connection(host, port, limit=MAX_LINE)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self._writer.write(data)

    def peer_closed(self) -> bool:
        return self._reader.at_eof() or self._writer.transport.is_closing()

    def expire(self) -> None:
        self.expired = True
        self._writer.transport.abort()  # the pending read ends with IncompleteReadError

    # One loop timer per connection, re-armed, not one made and cancelled per command
    # (that cost a seventh of a get): a command sets its deadline; the timer, when it
    # fires, expires the connection if a command is past its deadline, waits for the
    # deadline of a later command still running, or stops if none is.
    def watch(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self._deadline = loop.time() + timeout
        self._busy = True
        if self._watchdog is None:
            self._watchdog = loop.call_at(self._deadline, self._check, loop)

    def unwatch(self) -> None:
        self._busy = False

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        self._watchdog = None
        if not self._busy:
            return
        if loop.time() >= self._deadline:
            self.expire()
        else:
            self._watchdog = loop.call_at(self._deadline, self._check, loop)

    async def aclose(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._writer.transport.abort()


class AnyioConnection(Connection):
    """A connection on an anyio socket stream (under trio), with its read buffer.

    A send waits until the peer has taken the bytes.
    """

    __slots__ = ("_buffer", "_position", "_stream")

    sends_ahead = False

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        super().__init__(self._readuntil, self._readexactly)
        self._stream = stream
        self._buffer = b""
        self._position = 0

    @classmethod
    async def open(cls, host: str, port: int) -> AnyioConnection:
        """Connect to ``host:port``."""
        return cls(await anyio.connect_tcp(host, port))

    async def send(self, data: bytes) -> None:
        await self._stream.send(data)

    def peer_closed(self) -> bool:
        if self._position < len(self._buffer):
            return True  # bytes nobody asked for
        raw = self._stream.extra(anyio.abc.SocketAttribute.raw_socket, None)  # noqa: S610
        if raw is None:  # pragma: no cover - connect_tcp always gives a socket
            return False
        try:  # the socket is non-blocking: a peek answers at once
            raw.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return False  # nothing to read: open and quiet
        except OSError:
            return True  # reset
        return True  # the end of the stream, or bytes nobody asked for

    async def _readuntil(self, separator: bytes) -> bytes:
        buffer, start = self._buffer, self._position
        end = buffer.find(separator, start)
        while end < 0:
            if len(buffer) - start > MAX_LINE:
                raise ProtocolError(f"Memcached sent a line longer than {MAX_LINE} bytes")
            searched = len(buffer) - start - len(separator) + 1  # it may straddle two chunks
            buffer = buffer[start:] + await self._stream.receive(_RECEIVE)
            start = 0
            end = buffer.find(separator, max(searched, 0))
        end += len(separator)
        self._buffer, self._position = buffer, end
        return buffer[start:end]

    async def _readexactly(self, size: int) -> bytes:
        buffer, start = self._buffer, self._position
        end = start + size
        if end <= len(buffer):
            self._position = end
            return buffer[start:end]
        parts = [buffer[start:]]
        missing = size - len(parts[0])
        while missing > 0:
            chunk = await self._stream.receive(min(max(missing, _RECEIVE), _RECEIVE_LARGE))
            parts.append(chunk)
            missing -= len(chunk)
        data = b"".join(parts)
        # The last chunk may hold the start of the next reply: keep it buffered.
        self._buffer, self._position = data, size
        return data[:size]

    def expire(self) -> None:  # pragma: no cover - timeouts use cancel scopes here
        raise NotImplementedError("anyio connections time out with cancel scopes")

    async def aclose(self) -> None:
        await anyio.aclose_forcefully(self._stream)


Command = Callable[[Connection], Awaitable[T]]


class MemcachedServer:
    """One memcached server: a connection pool and the commands kv needs.

    Made in the event loop that uses it (its semaphore and connections belong
    to that loop).

    Args:
        host: Host name or address.
        port: TCP port.
        max_connections: Most connections open to this server at once.
        timeout: Seconds a command may take, and separately seconds waiting
            for a connection (connecting included) may take (``None``: no limit).
    """

    def __init__(
        self, host: str, port: int, *, max_connections: int, timeout: float | None
    ) -> None:
        self.host = host
        self.port = port
        self.name = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
        self.timeout = timeout
        self._idle: list[Connection] = []
        # One slot per connection, taken first come first served: a caller
        # holding a slot always finds an idle connection or room for a new one.
        self._slots = anyio.Semaphore(max_connections)
        self._closed = False
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # trio, or another loop that anyio runs on
            self._loop = None

    def __repr__(self) -> str:
        return f"<MemcachedServer {self.name}>"

    async def close(self) -> None:
        """Close the idle connections; connections in use close when their call ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.aclose()

    # --- running a command -----------------------------------------------------------

    async def _run(self, command: Command[T], *, retry: bool = True) -> T:
        """Run ``command`` on a pooled connection: once more on a fresh one if a stale
        connection failed before any reply (unless ``retry`` is false), within
        ``timeout`` per attempt.

        A conditional write is not retried: the server may have done it before the
        connection broke, and sending it again would answer "not written".
        """
        retried = False
        while True:
            connection = await self._acquire(fresh=not retry)
            try:
                result = await self._timed(command, connection)
            except BaseException as error:  # a half-read reply: never reuse the connection
                await connection.aclose()
                if connection.expired or (isinstance(error, TimeoutError) and self._loop is None):
                    raise self._timeout_error() from None  # the timer's or fail_after's
                if not isinstance(error, _BROKEN):  # a bad reply, a cancellation
                    raise
                if retried or connection.replied or not retry:  # refused, reset, mid-reply
                    raise self._connection_error(error) from error
                retried = True  # a stale pooled connection: once more, on a new one
            else:
                if connection.expired or self._closed:  # timed out after its last read
                    await connection.aclose()
                else:
                    self._idle.append(connection)
                return result
            finally:
                self._slots.release()

    async def _timed(self, command: Command[T], connection: Connection) -> T:
        """``command(connection)`` within ``timeout``."""
        timeout = self.timeout
        if timeout is None:
            return await command(connection)
        loop = self._loop
        if loop is None:
            with anyio.fail_after(timeout):
                return await command(connection)
        # The connection's loop timer, not a cancel scope: it costs a fifth as much per
        # call. When it fires it aborts the connection, which fails the pending read.
        connection.watch(loop, timeout)
        try:
            return await command(connection)
        finally:
            connection.unwatch()

    async def _acquire(self, *, fresh: bool = False) -> Connection:
        """A call slot, then an idle or new connection, within ``timeout`` each.

        With ``fresh``, idle connections that the server has closed (a restarted
        server) are dropped first: the command will not be retried on a new one.
        The caller owns the slot until ``_run`` releases it.
        """
        slots = self._slots
        try:
            slots.acquire_nowait()  # a free slot: nobody is waiting, so no wait
        except anyio.WouldBlock:
            try:
                with anyio.fail_after(self.timeout):
                    await slots.acquire()
            except TimeoutError:
                raise self._timeout_error() from None
        idle = self._idle
        try:
            if fresh:
                while idle and idle[-1].peer_closed():
                    await idle.pop().aclose()
            if idle:
                connection = idle.pop()
                connection.replied = False
                return connection
            return await self._open()
        except BaseException:
            slots.release()
            raise

    async def _open(self) -> Connection:
        """A new connection, within ``timeout``."""
        kind = StreamConnection if self._loop is not None else AnyioConnection
        try:
            with anyio.fail_after(self.timeout) as scope:
                return await kind.open(self.host, self.port)
        except OSError as error:
            if isinstance(error, TimeoutError) and scope.cancelled_caught:
                raise self._timeout_error() from None
            raise self._connection_error(error) from error

    def _timeout_error(self) -> StoreTimeoutError:
        return StoreTimeoutError(
            f"Memcached server {self.name} did not answer within {self.timeout:g} s"
        )

    def _connection_error(self, error: BaseException) -> StoreConnectionError:
        if isinstance(error, (EOFError, anyio.EndOfStream, anyio.ClosedResourceError)):
            reason = "the server closed the connection"
        elif isinstance(error, anyio.BrokenResourceError):
            cause = error.__cause__
            reason = str(cause) if cause is not None and str(cause) else "the connection broke"
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

        async def replies(connection: Connection) -> dict[bytes, bytes]:
            found: dict[bytes, bytes] = {}
            for _ in lines:
                await _read_values(connection, found, self.name)
            return found

        return await self._run(lambda connection: _exchange(connection, request, replies))

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

        async def replies(connection: Connection) -> list[bytes]:
            readuntil = connection.readuntil
            lines: list[bytes] = []
            for _ in items:
                line = (await readuntil(_CRLF))[:-2]
                connection.replied = True
                if line != b"STORED" and not line.startswith(b"SERVER_ERROR "):
                    raise ProtocolError(f"Memcached server {self.name} answered set with {line!r}")
                lines.append(line)
            return lines

        return await self._run(lambda connection: _exchange(connection, request, replies))

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

        async def replies(connection: Connection) -> tuple[dict[bytes, bytes], list[bool]]:
            found: dict[bytes, bytes] = {}
            for _ in lines:
                await _read_values(connection, found, self.name)
            readuntil = connection.readuntil
            deleted: list[bool] = []
            for _ in keys:
                line = (await readuntil(_CRLF))[:-2]
                connection.replied = True
                if line not in (b"DELETED", b"NOT_FOUND"):
                    raise ProtocolError(
                        f"Memcached server {self.name} answered delete with {line!r}"
                    )
                deleted.append(line == b"DELETED")
            return found, deleted

        return await self._run(lambda connection: _exchange(connection, request, replies))

    async def add(self, key: bytes, value: bytes, exptime: int) -> bytes:
        """``add``: store the item only if memcached holds none under ``key``.

        Returns the reply line: ``b"STORED"``, ``b"NOT_STORED"`` (an item exists)
        or a ``SERVER_ERROR``. Not retried on a broken connection.
        """
        request = b"add %b 0 %d %d\r\n%b\r\n" % (key, exptime, len(value), value)
        return await self._store_one(request, b"add", (b"STORED", b"NOT_STORED"))

    async def cas(self, key: bytes, value: bytes, exptime: int, unique: int) -> bytes:
        """``cas``: store the item only if the one held has CAS unique ``unique``.

        Returns the reply line: ``b"STORED"``, ``b"EXISTS"`` (another write came
        in between), ``b"NOT_FOUND"`` or a ``SERVER_ERROR``. Not retried on a
        broken connection.
        """
        request = b"cas %b 0 %d %d %d\r\n%b\r\n" % (key, exptime, len(value), unique, value)
        return await self._store_one(request, b"cas", (b"STORED", b"EXISTS", b"NOT_FOUND"))

    async def _store_one(self, request: bytes, verb: bytes, expected: tuple[bytes, ...]) -> bytes:
        async def reply(connection: Connection) -> bytes:
            await connection.send(request)
            line = (await connection.readuntil(_CRLF))[:-2]
            connection.replied = True
            if line not in expected and not line.startswith(b"SERVER_ERROR "):
                raise ProtocolError(
                    f"Memcached server {self.name} answered {verb.decode()} with {line[:80]!r}"
                )
            return line

        return await self._run(reply, retry=False)

    async def gets(self, key: bytes) -> tuple[bytes, int] | None:
        """``gets``: the value of ``key`` and its CAS unique, or ``None`` if not found."""
        request = b"gets " + key + _CRLF

        async def reply(connection: Connection) -> tuple[bytes, int] | None:
            await connection.send(request)
            readuntil, readexactly = connection.readuntil, connection.readexactly
            line = await readuntil(_CRLF)
            connection.replied = True
            if line == _END:
                return None
            parts = line.split()
            if (
                len(parts) != 5
                or parts[0] != b"VALUE"
                or parts[1] != key
                or not parts[3].isdigit()
                or not parts[4].isdigit()
            ):
                raise ProtocolError(
                    f"Memcached server {self.name} answered gets with {line[:80]!r}"
                )
            data = await readexactly(int(parts[3]) + 2)
            if data[-2:] != _CRLF:
                raise ProtocolError(
                    f"Memcached server {self.name} sent a value without its line end"
                )
            if await readuntil(_CRLF) != _END:
                raise ProtocolError(f"Memcached server {self.name} sent gets without its END")
            return data[:-2], int(parts[4])

        return await self._run(reply)

    async def delete_if_cas(self, key: bytes, unique: int) -> bool:
        """Meta delete ``md <key> C<unique>``: delete ``key`` only if its item has CAS
        unique ``unique`` (memcached 1.6 and later); return whether it did.

        Not retried on a broken connection.
        """
        request = b"md %b C%d\r\n" % (key, unique)

        async def reply(connection: Connection) -> bool:
            await connection.send(request)
            line = (await connection.readuntil(_CRLF))[:-2]
            connection.replied = True
            if line == b"HD":
                return True
            if line in (b"EX", b"NF"):
                return False
            if line == b"ERROR":
                raise ProtocolError(
                    f"Memcached server {self.name} does not know the meta command md:"
                    " delete_if_version needs memcached 1.6 or later"
                )
            raise ProtocolError(f"Memcached server {self.name} answered md with {line[:80]!r}")

        return await self._run(reply, retry=False)


async def _exchange(
    connection: Connection, request: bytes, replies: Callable[[Connection], Awaitable[T]]
) -> T:
    """Send ``request`` and read its replies (both at once for a large request on a
    connection whose sends wait for the peer)."""
    if connection.sends_ahead or len(request) <= SEND_AHEAD:
        await connection.send(request)
        return await replies(connection)

    async def send() -> None:
        with contextlib.suppress(*_BROKEN):  # the reading side fails too, and says why
            await connection.send(request)

    result: list[T] = []
    failed: list[BaseException] = []
    # Nothing is raised inside the task group (it would wrap it in an exception group).
    async with anyio.create_task_group() as group:
        group.start_soon(send)
        try:
            result.append(await replies(connection))
        except BaseException as error:
            failed.append(error)
            group.cancel_scope.cancel()
    if failed:
        raise failed[0]
    return result[0]


async def _read_values(connection: Connection, found: dict[bytes, bytes], server: str) -> None:
    """Read one ``get`` reply (``VALUE`` blocks up to ``END``) into ``found``."""
    readuntil, readexactly = connection.readuntil, connection.readexactly
    while True:
        line = await readuntil(_CRLF)
        connection.replied = True
        if line == _END:
            return
        parts = line.split()
        if len(parts) < 4 or parts[0] != b"VALUE" or not parts[3].isdigit():
            raise ProtocolError(f"Memcached server {server} answered get with {line[:80]!r}")
        data = await readexactly(int(parts[3]) + 2)
        if data[-2:] != _CRLF:
            raise ProtocolError(f"Memcached server {server} sent a value without its line end")
        found[parts[1]] = data[:-2]
