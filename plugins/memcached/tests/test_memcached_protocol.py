"""kv-memcached's own protocol client, under asyncio and trio.

The store speaks memcached's text protocol itself (:mod:`kv_memcached.protocol`),
over asyncio streams under asyncio and anyio streams under trio. These tests pin down what its connection pool
promises, each under both event loops: a timeout is a timeout, a stale pooled
connection is retried once and only before any reply, a half-read or
cancelled reply never reaches the next call, a garbled reply drops the
connection, a request too large for the socket buffers is sent while its
replies are read, the conditional commands of the atomic operations (add,
gets, cas, md) read every reply and are never sent twice, and no client library is imported (that callers take
connections in arrival order, under both loops, is in test_memcached_load.py). Misbehaving servers are small anyio listeners driven by
handshakes (events), never by sleeps.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

import kv
from kv_conformance.servers import ServerProcess, free_port
from kv_memcached.protocol import MemcachedServer
from kv_memcached.store import MemcachedStore

pytestmark = pytest.mark.anyio

Handler = Callable[[anyio.abc.SocketStream], Awaitable[None]]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every test under asyncio and under trio."""
    return str(request.param)


class FakeServer:
    """A TCP listener on 127.0.0.1 running ``handler`` per connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connections = 0

    @property
    def url(self) -> str:
        return f"memcached://127.0.0.1:{self.port}"


@asynccontextmanager
async def fake_server(
    handler: Handler, *, buffer_size: int | None = None
) -> AsyncIterator[FakeServer]:
    """Serve ``handler`` until the block ends (``buffer_size``: the sockets' buffers)."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    if buffer_size is not None:  # accepted sockets inherit the listening socket's
        raw = listener.extra(anyio.abc.SocketAttribute.raw_socket)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer_size)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer_size)
    server = FakeServer(listener.extra(anyio.abc.SocketAttribute.local_port))

    async def counted(stream: anyio.abc.SocketStream) -> None:
        server.connections += 1
        gone = (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError)
        async with stream:
            with contextlib.suppress(*gone):  # the client went away
                await handler(stream)

    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, counted)
        try:
            yield server
        finally:
            group.cancel_scope.cancel()


def value_reply(key: bytes, value: dict[str, Any]) -> bytes:
    """A ``get`` reply holding the document of ``value`` under ``key``."""
    collection, _, name = key.decode().partition("::")
    document = json.dumps({"collection": collection, "key": name, "value": value}).encode()
    return b"VALUE %b 0 %d\r\n%b\r\nEND\r\n" % (key, len(document), document)


async def lines(stream: anyio.abc.SocketStream) -> AsyncIterator[bytes]:
    """The request lines a client sends, until it closes the connection."""
    buffered = BufferedByteReceiveStream(stream)
    with contextlib.suppress(anyio.IncompleteRead, anyio.EndOfStream):
        while True:
            yield await buffered.receive_until(b"\r\n", 1 << 24)


async def test_silent_server_is_a_timeout_naming_the_server() -> None:
    async def never_answer(stream: anyio.abc.SocketStream) -> None:
        await anyio.sleep_forever()

    async with fake_server(never_answer) as server:
        store = kv.connect(f"{server.url}?timeout=0.3")
        try:
            with anyio.fail_after(30), pytest.raises(kv.StoreTimeoutError) as caught:
                await store.get("k")
            assert f"127.0.0.1:{server.port}" in str(caught.value)
            assert "0.3 s" in str(caught.value)
            with anyio.fail_after(30), pytest.raises(kv.StoreTimeoutError):
                await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}])
        finally:
            await store.close()


async def test_each_command_on_a_reused_connection_gets_its_own_timeout() -> None:
    """Commands answered for a while on one connection, then one the server never
    answers: it fails after its own timeout, counted from its own start (the
    connection's timer, armed by the first command, waits for the later deadline)."""
    answering = True

    async def answer_then_not(stream: anyio.abc.SocketStream) -> None:
        async for _ in lines(stream):
            if not answering:
                await anyio.sleep_forever()
            await stream.send(b"END\r\n")

    async with fake_server(answer_then_not) as server:
        store = kv.connect(f"{server.url}?timeout=0.5&max_connections=1")
        try:
            first = anyio.current_time()
            while anyio.current_time() - first < 0.3:  # one connection, reused
                assert await store.get("k") is None
            answering = False
            started = anyio.current_time()
            with anyio.fail_after(30), pytest.raises(kv.StoreTimeoutError):
                await store.get("k")
            assert anyio.current_time() - started >= 0.5
            assert server.connections == 1
            answering = True  # a new connection serves the next command
            assert await store.get("k") is None
        finally:
            await store.close()


async def test_no_server_is_a_connection_error_naming_it() -> None:
    port = free_port()
    store = kv.connect(f"memcached://127.0.0.1:{port}")
    try:
        with pytest.raises(kv.StoreConnectionError) as caught:
            await store.put("k", {"v": 1})
        assert f"127.0.0.1:{port}" in str(caught.value)
        with pytest.raises(kv.StoreConnectionError):
            await store.delete_many(["a", "b"])
    finally:
        await store.close()


async def test_a_stale_pooled_connection_is_retried_once() -> None:
    """The server answers one command per connection, then closes it (a restart)."""

    async def one_answer(stream: anyio.abc.SocketStream) -> None:
        async for _ in lines(stream):
            await stream.send(b"END\r\n")
            return

    async with fake_server(one_answer) as server:
        store = kv.connect(f"{server.url}?max_connections=1")
        try:
            assert await store.get("a") is None
            assert await store.get("b") is None  # the pooled one fails unread: retried
            assert await store.get("c") is None
            assert server.connections == 3
        finally:
            await store.close()


async def test_a_connection_closed_before_any_reply_is_retried_only_once() -> None:
    async def hang_up(stream: anyio.abc.SocketStream) -> None:
        async for _ in lines(stream):
            return

    async with fake_server(hang_up) as server:
        store = kv.connect(server.url)
        try:
            with pytest.raises(kv.StoreConnectionError) as caught:
                await store.get("k")
            assert f"127.0.0.1:{server.port}" in str(caught.value)
            assert server.connections == 2
        finally:
            await store.close()


async def test_a_connection_closed_mid_reply_is_not_retried() -> None:
    async def half_reply(stream: anyio.abc.SocketStream) -> None:
        async for _ in lines(stream):
            await stream.send(b"VALUE default_collection::k 0 10\r\nabc")
            return

    async with fake_server(half_reply) as server:
        store = kv.connect(server.url)
        try:
            with pytest.raises(kv.StoreConnectionError, match="closed the connection"):
                await store.get("k")
            assert server.connections == 1  # a reply had begun: sending again could repeat it
        finally:
            await store.close()


async def test_a_garbled_reply_drops_the_connection() -> None:
    async def garble(stream: anyio.abc.SocketStream) -> None:
        async for line in lines(stream):
            if line.startswith(b"get c::good"):
                await stream.send(value_reply(b"c::good", {"v": 1}))
            else:
                await stream.send(b"WHAT\r\n")

    async with fake_server(garble) as server:
        store = kv.connect(f"{server.url}?max_connections=1")
        try:
            with pytest.raises(kv.StoreError, match="WHAT"):
                await store.get("bad", collection="c")
            assert await store.get("good", collection="c") == {"v": 1}
            assert server.connections == 2
        finally:
            await store.close()


async def test_a_cancelled_call_never_leaves_its_reply_to_the_next() -> None:
    """The server answers ``a`` only after the call was cancelled."""
    request_seen = anyio.Event()
    cancelled = anyio.Event()

    async def late(stream: anyio.abc.SocketStream) -> None:
        async for line in lines(stream):
            key = line.split()[1]
            if key == b"c::a":
                request_seen.set()
                await cancelled.wait()
            await stream.send(value_reply(key, {"for": key.decode()}))

    async with fake_server(late) as server:
        store = kv.connect(f"{server.url}?max_connections=1")
        try:
            with anyio.CancelScope() as scope:

                async def cancel_when_seen() -> None:
                    await request_seen.wait()
                    scope.cancel()

                async with anyio.create_task_group() as group:
                    group.start_soon(cancel_when_seen)
                    await store.get("a", collection="c")
            assert scope.cancelled_caught
            cancelled.set()  # the late reply goes out now, on the old connection
            assert await store.get("b", collection="c") == {"for": "c::b"}
            assert await store.get("c", collection="c") == {"for": "c::c"}
            assert server.connections == 2
        finally:
            await store.close()


async def test_a_large_request_is_sent_while_replies_are_read() -> None:
    """A server blocked writing a large reply stops reading: a client that sent all
    of a large request before reading would wait for it forever (small socket
    buffers make the sizes small enough for a test)."""
    big = b"x" * (4 * 1024 * 1024)

    async def blocking(stream: anyio.abc.SocketStream) -> None:
        first = True
        async for line in lines(stream):
            if first:  # a reply larger than every buffer, before reading more
                first = False
                key = line.split()[1]
                await stream.send(b"VALUE %b 0 %d\r\n%b\r\nEND\r\n" % (key, len(big), big))
            else:
                await stream.send(b"END\r\n")

    keys = [b"k%06d" % i + b"-" * 240 for i in range(40_000)]  # 10 MB of keys, 80 lines
    async with fake_server(blocking, buffer_size=64 * 1024) as server:
        memcached = MemcachedServer("127.0.0.1", server.port, max_connections=1, timeout=60)
        try:
            found = await memcached.get_many(keys)
        finally:
            await memcached.close()
    assert found == {keys[0]: big}


# --- the conditional commands of the atomic operations ----------------------------


def memcached_store(url: str) -> MemcachedStore:
    """The store of ``url``, typed as the atomic store it is."""
    store = kv.connect(url)
    assert isinstance(store, MemcachedStore)
    return store


async def conditional(stream: anyio.abc.SocketStream) -> None:
    """A memcached holding one item, ``k`` with CAS unique 7, answering add, gets,
    cas and md by the rules of the real one (a storage command's data line is
    read and ignored)."""
    buffered = BufferedByteReceiveStream(stream)
    while True:
        try:
            line = await buffered.receive_until(b"\r\n", 1 << 20)
        except (anyio.IncompleteRead, anyio.EndOfStream):
            return
        words = line.split()
        if words[0] in (b"add", b"cas"):
            await buffered.receive_exactly(int(words[4]) + 2)
        if words[0] == b"add":
            await stream.send(b"NOT_STORED\r\n" if words[1] == b"k" else b"STORED\r\n")
        elif words[0] == b"cas":
            if words[1] != b"k":
                await stream.send(b"NOT_FOUND\r\n")
            else:
                await stream.send(b"STORED\r\n" if words[5] == b"7" else b"EXISTS\r\n")
        elif words[0] == b"gets":
            if words[1] == b"k":
                await stream.send(b"VALUE k 0 5 7\r\nhello\r\nEND\r\n")
            else:
                await stream.send(b"END\r\n")
        elif words[0] == b"md":
            if words[1] != b"k":
                await stream.send(b"NF\r\n")
            else:
                await stream.send(b"HD\r\n" if words[2] == b"C7" else b"EX\r\n")
        else:
            await stream.send(b"ERROR\r\n")


async def test_conditional_commands_read_every_reply() -> None:
    async with fake_server(conditional) as server:
        memcached = MemcachedServer("127.0.0.1", server.port, max_connections=1, timeout=30)
        try:
            assert await memcached.add(b"new", b"{}", 0) == b"STORED"
            assert await memcached.add(b"k", b"{}", 10) == b"NOT_STORED"
            assert await memcached.gets(b"k") == (b"hello", 7)
            assert await memcached.gets(b"absent") is None
            assert await memcached.cas(b"k", b"{}", 0, 7) == b"STORED"
            assert await memcached.cas(b"k", b"{}", 0, 6) == b"EXISTS"
            assert await memcached.cas(b"absent", b"{}", 0, 7) == b"NOT_FOUND"
            assert await memcached.delete_if_cas(b"k", 7) is True
            assert await memcached.delete_if_cas(b"k", 8) is False
            assert await memcached.delete_if_cas(b"absent", 7) is False
            assert server.connections == 1  # every reply was read whole
        finally:
            await memcached.close()


async def test_a_server_without_meta_commands_is_named_in_the_error() -> None:
    async def old(stream: anyio.abc.SocketStream) -> None:
        async for _ in lines(stream):
            await stream.send(b"ERROR\r\n")

    async with fake_server(old) as server:
        store = memcached_store(server.url)
        try:
            with pytest.raises(kv.StoreError, match=r"memcached 1\.6") as caught:
                await store.delete_if_version("k", "7@")
            assert f"127.0.0.1:{server.port}" in str(caught.value)
            assert "'k'" in str(caught.value)
        finally:
            await store.close()


async def test_a_gets_reply_cut_mid_value_is_a_connection_error() -> None:
    async def half_value(stream: anyio.abc.SocketStream) -> None:
        async for _ in lines(stream):
            await stream.send(b"VALUE default_collection::k 0 10 7\r\nabc")
            return

    async with fake_server(half_value) as server:
        store = memcached_store(server.url)
        try:
            with pytest.raises(kv.StoreConnectionError, match="closed the connection"):
                await store.get_versioned("k")
            assert server.connections == 1
        finally:
            await store.close()


async def test_a_garbled_gets_reply_drops_the_connection() -> None:
    async def garble(stream: anyio.abc.SocketStream) -> None:
        async for line in lines(stream):
            if line.startswith(b"gets c::bad"):
                await stream.send(b"VALUE c::bad 0 2\r\n{}\r\nEND\r\n")  # no CAS unique
            else:
                await stream.send(b"END\r\n")

    async with fake_server(garble) as server:
        store = memcached_store(f"{server.url}?max_connections=1")
        try:
            with pytest.raises(kv.StoreError, match="answered gets"):
                await store.get_versioned("bad", collection="c")
            assert await store.get_versioned("good", collection="c") is None
            assert server.connections == 2
        finally:
            await store.close()


@pytest.mark.parametrize(
    ("operation", "reply"),
    [
        ("put_if_absent", b"STORED\r\n"),
        ("put_if_version", b"STORED\r\n"),
        ("delete_if_version", b"HD\r\n"),
    ],
)
async def test_a_conditional_write_is_never_sent_twice(operation: str, reply: bytes) -> None:
    """The first connection breaks after the server did the write but before its
    reply; sending the write again on a new connection would answer "not written"
    (or write twice), so the caller gets the connection error instead. A read
    (``gets``) on a stale connection is still retried."""

    async def write_then_hang_up(stream: anyio.abc.SocketStream) -> None:
        async for line in lines(stream):
            if line.startswith(b"gets"):
                await stream.send(b"END\r\n")
                continue
            if server.connections > 1:
                await stream.send(reply)
            return  # hang up without a reply

    async with fake_server(write_then_hang_up) as server:
        store = memcached_store(server.url)
        try:
            calls: dict[str, Callable[[], Awaitable[bool]]] = {
                "put_if_absent": lambda: store.put_if_absent("k", {"v": 1}),
                "put_if_version": lambda: store.put_if_version("k", {"v": 1}, "7@"),
                "delete_if_version": lambda: store.delete_if_version("k", "7@"),
            }
            with pytest.raises(kv.StoreConnectionError, match=f"127.0.0.1:{server.port}"):
                await calls[operation]()
            assert server.connections == 1
        finally:
            await store.close()


async def test_a_conditional_write_skips_a_pooled_connection_the_server_closed() -> None:
    """A restarted server closed the pooled connection: a write that is never sent
    twice checks for that first and goes out on a new connection."""
    closed = anyio.Event()

    async def answer_then_close(stream: anyio.abc.SocketStream) -> None:
        data_follows = False
        async for line in lines(stream):
            if line.startswith(b"gets"):
                await stream.send(b"END\r\n")
                await stream.aclose()
                closed.set()
                return
            if line.startswith(b"add"):
                data_follows = True
            elif data_follows:
                await stream.send(b"STORED\r\n")
                data_follows = False

    async with fake_server(answer_then_close) as server:
        memcached = MemcachedServer("127.0.0.1", server.port, max_connections=1, timeout=30)
        try:
            assert await memcached.gets(b"k") is None
            await closed.wait()
            with anyio.fail_after(30):  # until this side has seen the end of the stream
                while not memcached._idle[0].peer_closed():
                    await anyio.sleep(0.001)
            assert await memcached.add(b"k", b"{}", 0) == b"STORED"
            assert server.connections == 2
        finally:
            await memcached.close()


async def test_a_hundred_thousand_keys_in_one_call(
    memcached_server: ServerProcess, mc: Any
) -> None:
    store = kv.connect(f"{mc.url_of(memcached_server)}?timeout=60")
    keys = [f"key-{i}" for i in range(100_000)]
    try:
        await store.put_many(keys, [{"i": i} for i in range(100_000)], collection="many")
        got = await store.get_many(keys, collection="many")
        assert got == [{"i": i} for i in range(100_000)]
        assert await store.delete_many(keys, collection="many") == 100_000
    finally:
        await store.close()
        mc.flush(memcached_server)


def test_successive_trio_runs_keep_no_descriptors(memcached_server: ServerProcess, mc: Any) -> None:
    """One store across 20 ``trio.run()`` calls: each run's connections close with it."""
    store = kv.connect(mc.url_of(memcached_server))

    async def handler() -> None:
        async with anyio.create_task_group() as group:
            for i in range(20):
                group.start_soon(store.put, f"fd{i}", {"i": i})
        assert await store.get("fd3") == {"i": 3}

    def descriptors() -> int:
        gc.collect()
        return len(os.listdir("/proc/self/fd"))

    for _ in range(3):
        anyio.run(handler, backend="trio")
    before = descriptors()
    for _ in range(20):
        anyio.run(handler, backend="trio")
    after = descriptors()
    anyio.run(store.close, backend="trio")
    mc.flush(memcached_server)
    assert after - before <= 4, f"{after - before} more descriptors after 20 runs"


def test_no_client_library_is_imported() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_memcached.store, kv_memcached.conformance
        for name in ("aiomcache", "emcache", "pymemcache"):
            assert name not in sys.modules, name + " imported"
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)
