"""What is special about ``memcached://`` beyond the conformance suite.

Key layout and encoding, TTLs beyond memcached's 30-day limit, sizes,
several servers, one round trip per bulk call, URLs and options, errors.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from typing import Any

import aiomcache
import pytest

import kv
from kv.entry import StoredEntry, decode_document, encode_document
from kv_conformance.servers import ServerProcess, free_port
from kv_memcached import MEMCACHED_CAPABILITIES
from kv_memcached.keys import (
    MAX_ABSOLUTE_EXPTIME,
    MAX_RELATIVE_EXPTIME,
    exptime,
    memcached_key,
)
from kv_memcached.protocol import MemcachedServer
from kv_memcached.ring import Ring
from kv_memcached.store import MemcachedStore

pytestmark = pytest.mark.anyio

DAY = 24 * 3600


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiomcache is an asyncio library


@pytest.fixture
async def store(memcached_server: ServerProcess, mc: Any) -> AsyncIterator[MemcachedStore]:
    store = kv.connect(mc.url_of(memcached_server))
    assert isinstance(store, MemcachedStore)
    yield store
    await store.close()
    mc.flush(memcached_server)


@pytest.fixture
async def raw(memcached_server: ServerProcess) -> AsyncIterator[aiomcache.Client]:
    client = aiomcache.Client(memcached_server.host, memcached_server.port)
    yield client
    await client.close()


def server_ttl(mc: Any, server: ServerProcess, key: bytes) -> int | None:
    """The TTL memcached itself reports for ``key`` (meta get with the t flag)."""
    reply = mc.send(server, b"mg " + key + b" t\r\n")
    if reply.startswith(b"EN"):
        return None
    flags = {part[:1]: part[1:] for part in reply.split()[1:]}
    return int(flags[b"t"])


# --- keys ---------------------------------------------------------------------------


def test_plain_keys_keep_py_key_value_layout() -> None:
    assert memcached_key("users", "alice") == b"users::alice"
    assert memcached_key("default_collection", "k") == b"default_collection::k"
    assert memcached_key("鍵", "値") == "鍵::値".encode()
    assert memcached_key("a:b", "c") == b"a%3Ab::c"  # the collection is escaped


@pytest.mark.parametrize(
    "key",
    ["k" * 250, "with space", "new\nline", "tab\t", "nul\x00", "del\x7f", "c1\x85", "nbsp\u00a0"],
)
def test_keys_memcached_cannot_hold_are_hashed(key: str) -> None:
    encoded = memcached_key("c", key)
    assert encoded.startswith(b"~")
    assert len(encoded) == 64
    assert encoded.isascii()
    assert b"::" not in encoded  # can never equal a plain compound key
    assert memcached_key("c", key + "x") != encoded


def test_the_250_byte_limit_counts_utf8_bytes() -> None:
    exact = "k" * (250 - len("c::"))
    assert memcached_key("c", exact) == f"c::{exact}".encode()
    assert memcached_key("c", exact + "k").startswith(b"~")
    cjk = "鍵" * 83  # 249 bytes, 83 characters: within aiomcache's character count,
    assert memcached_key("c", cjk).startswith(b"~")  # but over memcached's byte limit


async def test_document_layout(store: MemcachedStore, raw: aiomcache.Client) -> None:
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=60)
    await store.put("bob", {"name": "Bob"}, collection="users")
    alice = json.loads(await raw.get(b"users::alice") or b"null")
    assert sorted(alice) == ["collection", "created_at", "expires_at", "key", "value", "version"]
    assert alice["value"] == {"name": "Alice"}
    assert (alice["collection"], alice["key"], alice["version"]) == ("users", "alice", 1)
    bob = json.loads(await raw.get(b"users::bob") or b"null")
    assert "expires_at" not in bob


async def test_long_and_odd_keys_are_stored_under_their_hash(
    store: MemcachedStore, raw: aiomcache.Client
) -> None:
    key = "k" * 1500 + " \n\x00"
    await store.put(key, {"v": 1}, collection="odd collection")
    hashed = memcached_key("odd collection", key)
    document = json.loads(await raw.get(hashed) or b"null")
    assert (document["key"], document["collection"]) == (key, "odd collection")
    assert await store.get(key, collection="odd collection") == {"v": 1}
    assert await store.delete(key, collection="odd collection") is True
    assert await raw.get(hashed) is None


# --- TTL ------------------------------------------------------------------------------


def test_exptime_conversion() -> None:
    now = 1_700_000_000.25
    assert exptime(None, None) == 0
    assert exptime(0.3, now + 0.3) == 2  # rounded up, plus one tick of memcached's clock
    assert exptime(1, now + 1) == 2
    assert exptime(MAX_RELATIVE_EXPTIME - 1, now) == MAX_RELATIVE_EXPTIME  # still relative
    long_ttl = 40 * DAY
    assert exptime(long_ttl, now + long_ttl) == math.ceil(now + long_ttl) + 1  # absolute
    assert exptime(99 * 365 * DAY, now + 99 * 365 * DAY) == MAX_ABSOLUTE_EXPTIME


async def test_forty_day_ttl_is_kept_for_forty_days(
    store: MemcachedStore, memcached_server: ServerProcess, mc: Any, raw: aiomcache.Client
) -> None:
    await store.put("long", {"v": 1}, collection="ttl", ttl=40 * DAY)
    value, remaining = await store.ttl("long", collection="ttl")
    assert value == {"v": 1}
    assert remaining is not None
    assert 40 * DAY - 5 < remaining <= 40 * DAY
    assert await raw.get(b"ttl::long") is not None  # stored, not expired at once
    native = server_ttl(mc, memcached_server, b"ttl::long")
    assert native is not None
    assert 40 * DAY - 5 < native <= 40 * DAY + 5


async def test_ttl_at_the_thirty_day_boundary(
    store: MemcachedStore, memcached_server: ServerProcess, mc: Any
) -> None:
    await store.put("under", {"v": 1}, collection="ttl", ttl=30 * DAY - 1)
    await store.put("over", {"v": 2}, collection="ttl", ttl=30 * DAY + 1)
    await store.put_many(["many"], [{"v": 3}], collection="ttl", ttl=60 * DAY)
    # An absolute expiry is converted with memcached's clock, which ticks once a
    # second and lags the wall clock by up to 2 s: what it reports is a few
    # seconds off (and one more second is added on purpose, see keys.exptime).
    for key, ttl in [(b"ttl::under", 30 * DAY - 1), (b"ttl::over", 30 * DAY + 1)]:
        native = server_ttl(mc, memcached_server, key)
        assert native is not None
        assert ttl - 5 < native <= ttl + 5
    native = server_ttl(mc, memcached_server, b"ttl::many")
    assert native is not None
    assert 60 * DAY - 5 < native <= 60 * DAY + 5
    assert await store.get_many(["under", "over", "many"], collection="ttl") == [
        {"v": 1},
        {"v": 2},
        {"v": 3},
    ]


async def test_sub_second_ttl_is_rounded_up_natively_and_exact_on_read(
    store: MemcachedStore, memcached_server: ServerProcess, mc: Any
) -> None:
    await store.put("short", {"v": 1}, collection="ttl", ttl=0.3)
    native = server_ttl(mc, memcached_server, b"ttl::short")
    assert native is not None
    assert 1 <= native <= 2
    await asyncio.sleep(0.5)
    assert await store.get("short", collection="ttl") is None  # memcached may still hold it


async def test_delete_tells_live_entries_from_expired_ones_memcached_still_holds(
    store: MemcachedStore, raw: aiomcache.Client
) -> None:
    now = time.time()
    documents = {
        # An entry past its expiry that memcached still holds (exptime 0 here).
        "old": encode_document(
            StoredEntry('{"v":1}', now - 10, now - 5), collection="d", key="old"
        ),
        "live": encode_document(StoredEntry('{"v":1}', now, now + 60), collection="d", key="live"),
        # No TTL, but the value has a field of that name (read, not taken for an expiry).
        "plain": encode_document(
            StoredEntry('{"expires_at":"2000-01-01T00:00:00+00:00"}', now, None),
            collection="d",
            key="plain",
        ),
        "bare": encode_document(StoredEntry('{"v":1}', now, None), collection="d", key="bare"),
    }

    async def write_all() -> None:
        for key, document in documents.items():
            await raw.set(f"d::{key}".encode(), document.encode())

    await write_all()
    assert [await store.delete(key, collection="d") for key in documents] == [
        False,
        True,
        True,
        True,
    ]
    assert await raw.get(b"d::old") is None  # deleted all the same
    await write_all()
    assert await store.delete_many([*documents, "missing"], collection="d") == 3


# --- sizes ---------------------------------------------------------------------------


async def test_default_limit_is_memcached_default_item_size(store: MemcachedStore) -> None:
    limit = MEMCACHED_CAPABILITIES.max_value_size
    assert limit is not None
    assert store.capabilities.max_value_size == limit
    assert 1_000_000 < limit < 1024 * 1024
    with pytest.raises(kv.EntryTooLargeError):
        await store.put("big", {"x": "y" * limit}, collection="size")
    value = {"x": "y" * (limit - 20)}
    await store.put("fits", value, collection="size")
    assert await store.get("fits", collection="size") == value


async def test_a_document_too_large_for_its_key_is_refused(store: MemcachedStore) -> None:
    limit = store.capabilities.max_value_size
    assert limit is not None
    key = "k" * 5000  # a long name makes the document larger than the value
    with pytest.raises(kv.EntryTooLargeError) as caught:
        await store.put(key, {"x": "y" * (limit - 20)}, collection="size")
    assert caught.value.key == key
    assert await store.get(key, collection="size") is None


async def test_server_refusing_a_large_item_is_entry_too_large(
    memcached_default: ServerProcess, mc: Any
) -> None:
    # The store is told 2 MB items, but the server runs with the default 1 MB.
    store = kv.connect(f"{mc.url_of(memcached_default)}?max_item_size={mc.TWO_MB}")
    try:
        big = {"x": "y" * 1_500_000}
        with pytest.raises(kv.EntryTooLargeError) as caught:
            await store.put("big", big, collection="size")
        assert caught.value.key == "big"
        with pytest.raises(kv.EntryTooLargeError):
            await store.put_many(["a", "big", "b"], [{"v": 1}, big, {"v": 2}], collection="size")
        # The connection stays in step: later calls work.
        await store.put("small", {"v": 3}, collection="size")
        assert await store.get_many(["small", "big", "a"], collection="size") == [
            {"v": 3},
            None,
            {"v": 1},  # memcached has no transactions: the others of the batch were stored
        ]
    finally:
        await store.close()
        mc.flush(memcached_default)


# --- several servers -----------------------------------------------------------------


async def held_by(server: ServerProcess, keys: list[bytes]) -> int:
    """How many of ``keys`` ``server`` holds (flush_all makes curr_items lag, so ask)."""
    client = aiomcache.Client(server.host, server.port)
    try:
        found = await client.multi_get(*keys)
    finally:
        await client.close()
    return sum(value is not None for value in found)


async def test_keys_are_spread_over_servers_and_found_by_any_order(
    memcached_pair: tuple[ServerProcess, ServerProcess],
    mc: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = memcached_pair
    store = kv.connect(mc.url_of(first, second))
    reversed_store = kv.connect(mc.url_of(second, first))
    keys = [f"key-{i}" for i in range(200)]
    values = [{"i": i} for i in range(200)]
    try:
        await store.put_many(keys, values, collection="spread")
        stored = [f"spread::{key}".encode() for key in keys]
        on_first, on_second = await held_by(first, stored), await held_by(second, stored)
        assert on_first + on_second == 200
        assert 50 < on_first < 150  # both hold a fair share

        calls: list[int] = []
        original = MemcachedServer.get_many

        async def counting(self: MemcachedServer, keys: Any) -> dict[bytes, bytes]:
            calls.append(len(keys))
            return await original(self, keys)

        monkeypatch.setattr(MemcachedServer, "get_many", counting)
        assert await reversed_store.get_many(keys, collection="spread") == values
        assert sorted(calls) == sorted([on_first, on_second])  # one request per server
        assert await store.delete_many(keys, collection="spread") == 200
    finally:
        await store.close()
        await reversed_store.close()
        mc.flush(first, second)


def test_ring_choice_depends_on_names_not_order() -> None:
    names = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"]
    ring = Ring(names, names)
    turned = Ring(names[::-1], names[::-1])
    keys = [f"c::k{i}".encode() for i in range(300)]
    assert [ring.pick(key) for key in keys] == [turned.pick(key) for key in keys]
    smaller = Ring(names[:2], names[:2])
    moved = [
        key for key in keys if ring.pick(key) != names[2] and smaller.pick(key) != ring.pick(key)
    ]
    assert moved == []  # removing a server moves only the keys it held
    with pytest.raises(ValueError, match="distinct"):
        Ring(["a", "b"], ["x", "x"])


async def test_get_many_is_one_request(
    store: MemcachedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.put_many([f"k{i}" for i in range(1200)], [{"i": i} for i in range(1200)])
    writes: list[bytes] = []
    original = asyncio.StreamWriter.write

    def counting(self: asyncio.StreamWriter, data: Any) -> None:
        writes.append(bytes(data))
        original(self, data)

    monkeypatch.setattr(asyncio.StreamWriter, "write", counting)
    got = await store.get_many([f"k{i}" for i in range(1200)])
    assert got == [{"i": i} for i in range(1200)]
    assert len(writes) == 1
    assert writes[0].count(b"get ") == 3  # 500 keys per line, all in one write


# --- failures ---------------------------------------------------------------------------


async def test_no_server_is_a_connection_error() -> None:
    port = free_port()
    store = kv.connect(f"memcached://127.0.0.1:{port}")
    with pytest.raises(kv.StoreConnectionError) as caught:
        await store.put("k", {"v": 1})
    assert f"127.0.0.1:{port}" in str(caught.value)
    with pytest.raises(kv.StoreConnectionError):
        await store.get_many(["a", "b"])
    await store.close()


async def test_silent_server_is_a_timeout() -> None:
    connections: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = kv.connect(f"memcached://127.0.0.1:{port}?timeout=0.3")
    try:
        started = time.monotonic()
        with pytest.raises(kv.StoreTimeoutError) as caught:
            await store.get("k")
        assert time.monotonic() - started < 3
        assert "0.3" in str(caught.value)
    finally:
        await store.close()
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_garbled_reply_is_a_store_error_and_the_connection_is_dropped() -> None:
    async def garble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"WHAT\r\n")
        await writer.drain()

    server = await asyncio.start_server(garble, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = kv.connect(f"memcached://127.0.0.1:{port}")
    try:
        with pytest.raises(kv.StoreError, match="WHAT"):
            await store.get("k")
        with pytest.raises(kv.StoreError, match="WHAT"):
            await store.put("k", {"v": 1})
    finally:
        await store.close()
        server.close()
        await server.wait_closed()


async def test_a_cancelled_call_never_leaves_its_reply_to_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server that answers late: the late reply must not reach the next call."""

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            key = line.split()[1]
            await asyncio.sleep(0.3)
            name = key.decode().partition("::")[2]
            document = json.dumps({"key": name, "collection": "c", "value": {"for": name}})
            writer.write(
                b"VALUE %b 0 %d\r\n%b\r\nEND\r\n" % (key, len(document), document.encode())
            )
            await writer.drain()

    server = await asyncio.start_server(slow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = kv.connect(f"memcached://127.0.0.1:{port}?max_connections=1")
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(store.get("a", collection="c"), 0.1)
        assert await store.get("b", collection="c") == {"for": "b"}
        assert await store.get("c", collection="c") == {"for": "c"}
    finally:
        await store.close()
        server.close()
        await server.wait_closed()


# --- URLs and options ----------------------------------------------------------------


def test_url_forms() -> None:
    store = kv.connect("memcached://cache1:11300,cache2,[::1]:11400")
    assert isinstance(store, MemcachedStore)
    assert store.options.addresses == (("cache1", 11300), ("cache2", 11211), ("::1", 11400))
    assert repr(store) == "<MemcachedStore memcached://cache1:11300,cache2:11211,::1:11400>"
    default = kv.connect("memcached://")
    assert isinstance(default, MemcachedStore)
    assert default.options.addresses == (("127.0.0.1", 11211),)
    options = kv.connect(
        "memcached://h?max_item_size=2097152&timeout=none&max_connections=3&default_collection=app"
    )
    assert isinstance(options, MemcachedStore)
    assert (
        options.options.max_item_size,
        options.options.timeout,
        options.options.max_connections,
    ) == (2097152, None, 3)
    assert options.options.default_collection == "app"
    assert options.capabilities.max_value_size == 2097152 - 1024
    assert MemcachedStore.capabilities.max_value_size == 1024 * 1024 - 1024
    keyword = kv.connect("memcached://h?timeout=1", timeout=2)
    assert isinstance(keyword, MemcachedStore)
    assert keyword.options.timeout == 2.0


def test_constructor_takes_servers() -> None:
    store = MemcachedStore(["a:1", ("b", 2)], timeout=None)
    assert store.options.addresses == (("a", 1), ("b", 2))
    assert MemcachedStore("a:1,b").options.addresses == (("a", 1), ("b", 11211))


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("memcached://h?max_item_size=100", {}),
        ("memcached://h?max_item_size=big", {}),
        ("memcached://h", {"max_connections": 0}),
        ("memcached://h", {"timeout": -1}),
        ("memcached://h", {"timeout": float("inf")}),
        ("memcached://h?unknown=1", {}),
        ("memcached://h,h", {}),
        ("memcached://h", {"default_collection": ""}),
    ],
)
def test_bad_options(url: str, options: dict[str, Any]) -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect(url, **options)


@pytest.mark.parametrize("servers", [[], ["h:port"], [("h", 0)], [("", 1)], ["a,b"]])
def test_bad_servers(servers: Any) -> None:
    with pytest.raises(kv.InvalidOptionError):
        MemcachedStore(servers)


@pytest.mark.parametrize("url", ["memcached://user:secret@h", "memcached://h/path"])
def test_url_with_user_or_path_is_refused(url: str) -> None:
    with pytest.raises(kv.InvalidURLError) as caught:
        kv.connect(url)
    assert "secret" not in str(caught.value)


def test_no_optional_operations_are_offered() -> None:
    store = MemcachedStore()
    assert not isinstance(store, kv.DestroyStore)  # would need flush_all
    assert not isinstance(store, kv.EnumerateKeys)
    assert MEMCACHED_CAPABILITIES.native_ttl
    assert not MEMCACHED_CAPABILITIES.persistent


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_memcached.plugin
        from kv import registry
        registry.resolve("memcached")
        assert "aiomcache" not in sys.modules, "aiomcache imported"
        assert "kv_memcached.store" not in sys.modules, "store imported"
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_package_exports_lazily() -> None:
    import kv_memcached

    assert kv_memcached.MemcachedStore is MemcachedStore
    with pytest.raises(AttributeError):
        _ = kv_memcached.NoSuchName


# --- atomic operations ------------------------------------------------------------------


def expired_document(collection: str, key: str, value: dict[str, Any]) -> bytes:
    """The document of an entry that expired a minute ago."""
    now = time.time()
    entry = StoredEntry(json.dumps(value), now - 120, now - 60)
    return encode_document(entry, collection=collection, key=key).encode()


async def test_put_if_absent_replaces_an_expired_entry_memcached_still_holds(
    store: MemcachedStore, raw: aiomcache.Client
) -> None:
    """Memcached drops an item up to two seconds after its entry's exact expiry (here:
    never, exptime 0); until then ``add`` refuses, and the store replaces the item with
    ``cas`` on the CAS unique it read."""
    await raw.set(b"c::k", expired_document("c", "k", {"v": "old"}))
    assert await store.get("k", collection="c") is None
    assert await store.get_versioned("k", collection="c") is None
    assert await store.put_if_absent("k", {"v": "new"}, collection="c", ttl=100) is True
    value, remaining = await store.ttl("k", collection="c")
    assert value == {"v": "new"}
    assert remaining is not None
    assert 90 <= remaining <= 100
    assert await store.put_if_absent("k", {"v": "late"}, collection="c") is False


async def test_many_tasks_claim_one_expired_entry_and_exactly_one_wins(
    store: MemcachedStore, raw: aiomcache.Client
) -> None:
    await raw.set(b"c::lock", expired_document("c", "lock", {"by": "gone"}))
    results = await asyncio.gather(
        *(store.put_if_absent("lock", {"by": i}, collection="c") for i in range(50))
    )
    winners = [i for i, won in enumerate(results) if won]
    assert len(winners) == 1, winners
    assert await store.get("lock", collection="c") == {"by": winners[0]}


async def test_a_version_is_the_items_cas_unique_and_its_expiry(
    store: MemcachedStore, raw: aiomcache.Client
) -> None:
    await store.put("k", {"v": 1}, collection="c", ttl=100)
    found = await store.get_versioned("k", collection="c")
    assert found is not None
    _, unique = await raw.gets(b"c::k")
    entry = decode_document(await raw.get(b"c::k") or b"")
    assert found.version == f"{unique}@{entry.expires_at!r}"
    await store.put("plain", {"v": 1}, collection="c")
    plain = await store.get_versioned("plain", collection="c")
    assert plain is not None
    assert plain.version.endswith("@")


@pytest.mark.parametrize(
    "key",
    ["ключ-ü", "k" * 300, "with space", "tab\tand\nnewline"],
    ids=["utf8", "long", "sp", "ctl"],
)
async def test_conditional_commands_on_every_kind_of_key(store: MemcachedStore, key: str) -> None:
    """Plain UTF-8 keys and hashed ones, through add, gets, cas and the meta md."""
    assert await store.put_if_absent(key, {"v": 1}, collection="c")
    found = await store.get_versioned(key, collection="c")
    assert found is not None
    assert found.value == {"v": 1}
    assert await store.put_if_version(key, {"v": 2}, found.version, collection="c")
    assert not await store.delete_if_version(key, found.version, collection="c")
    again = await store.get_versioned(key, collection="c")
    assert again is not None
    assert again.value == {"v": 2}
    assert await store.delete_if_version(key, again.version, collection="c")
    assert await store.get(key, collection="c") is None


async def test_a_conditional_write_too_large_is_refused(store: MemcachedStore) -> None:
    big = {"v": "x" * (2 * 1024 * 1024)}
    with pytest.raises(kv.EntryTooLargeError) as caught:
        await store.put_if_absent("big", big, collection="c")
    assert "'big'" in str(caught.value)
    assert await store.get("big", collection="c") is None
