"""What is special about kv-redis, against real redis-server processes.

URL forms and options, discovery and the light plugin module, the key
layout, single-round-trip bulk calls (counted by the server), destroy()
sparing keys the store does not own, glob characters in names, TTLs in
milliseconds, TLS verification, a Unix socket, credentials and error
translation.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import pytest
import redis
import redis.asyncio

import kv
from kv import registry
from kv_conformance.servers import ServerProcess, free_port
from kv_redis.plugin import REDIS_CAPABILITIES, REDIS_SCHEMES
from kv_redis.store import RedisStore
from kv_resp import RespTarget

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


@pytest.fixture
def anyio_backend() -> str:
    """redis-py's asyncio client runs under asyncio only."""
    return "asyncio"


@pytest.fixture
async def raw(redis_server: ServerProcess) -> AsyncIterator[redis.asyncio.Redis]:
    """A plain redis-py client on database 2 of the standalone server."""
    client = redis.asyncio.Redis(port=redis_server.port, db=2)
    yield client
    await client.aclose()


@pytest.fixture
async def store(redis_server: ServerProcess) -> AsyncIterator[RedisStore]:
    """A store on database 2 with a namespace of its own."""
    store = RedisStore(
        f"redis://127.0.0.1:{redis_server.port}/2", namespace=f"p-{uuid.uuid4().hex}"
    )
    yield store
    await store.destroy()
    await store.close()


# --- discovery and the light plugin module ------------------------------------------


def test_every_scheme_is_served_by_kv_redis() -> None:
    for scheme in REDIS_SCHEMES:
        plugin = registry.resolve(scheme)
        assert plugin.capabilities is REDIS_CAPABILITIES
        assert registry.origin(scheme) == "kv-redis"
    assert RedisStore.capabilities is REDIS_CAPABILITIES
    assert set(REDIS_SCHEMES) == set(RedisStore.schemes.all())


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_redis
        import kv_redis.plugin
        from kv import registry
        for scheme in ("redis", "rediss", "redis+unix", "redis+cluster"):
            registry.resolve(scheme)
        registry.plugins()
        heavy = ("kv_redis.store", "redis", "kv_resp.store")
        print(",".join(sorted(name for name in heavy if name in sys.modules)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


# --- URL forms and options -----------------------------------------------------------


def test_url_forms() -> None:
    store = kv.connect("redis://")
    assert isinstance(store, RedisStore)
    assert store.target == RespTarget("tcp", hosts=store.target.hosts, db=0)
    assert str(store.target.hosts[0]) == "localhost:6379"

    store = kv.connect("redis://cache.example:6380/3")
    assert isinstance(store, RedisStore)
    assert store.target is not None
    assert (str(store.target.hosts[0]), store.target.db, store.target.tls) == (
        "cache.example:6380",
        3,
        False,
    )
    assert kv.connect("redis://h?db=4").target.db == 4  # type: ignore[attr-defined]
    assert kv.connect("redis://h/4?db=4").target.db == 4  # type: ignore[attr-defined]

    tls = kv.connect("rediss://h")
    assert tls.target.tls  # type: ignore[attr-defined]
    assert kv.connect("redis://h?ssl=true").target.tls  # type: ignore[attr-defined]

    unix = kv.connect("redis+unix:///run/redis/redis.sock?db=2")
    assert unix.target == RespTarget("unix", path="/run/redis/redis.sock", db=2)  # type: ignore[attr-defined]

    cluster = kv.connect("redis+cluster://a:7000,b:7001,c/")
    assert cluster.target.kind == "cluster"  # type: ignore[attr-defined]
    assert [str(h) for h in cluster.target.hosts] == ["a:7000", "b:7001", "c:6379"]  # type: ignore[attr-defined]
    assert kv.connect("redis+cluster://a:7000?ssl=true").target.tls  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url",
    [
        "redis://a:1,b:2/0",  # several hosts need redis+cluster
        "redis://h/zero",
        "redis://h/1?db=2",
        "redis+unix://host/run/redis.sock",
        "redis+unix://",
        "redis+unix:///run/redis.sock?ssl=true",
        "redis+cluster:///",
        "redis+cluster://a:1/2",
        "rediss://h?ssl=false",
        "redis://h?ssl_cert_reqs=none&ssl_ca_certs=/etc/hosts",
    ],
)
def test_bad_urls_are_invalid_url_errors(url: str) -> None:
    with pytest.raises(kv.InvalidURLError):
        kv.connect(url)


@pytest.mark.parametrize(
    "url",
    [
        "redis://h?colour=blue",
        "redis://h?db=-1",
        "redis://h?db=x",
        "redis://h?socket_timeout=0",
        "redis://h?retries=-1",
        "redis://h?max_connections=0",
        "redis://h?ssl_cert_reqs=sometimes",
        "rediss://h?ssl_ca_certs=/no/such/ca.pem",
        "rediss://h?ssl_keyfile=/etc/hosts",
        "redis://h?default_collection=a&default_collection=b",
    ],
)
def test_bad_options_are_invalid_option_errors(url: str) -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect(url)


def test_empty_namespace_is_refused() -> None:
    with pytest.raises(kv.InvalidOptionError, match="namespace"):
        kv.connect("redis://h", namespace="")
    with pytest.raises(kv.InvalidOptionError, match="default_collection"):
        kv.connect("redis://h", default_collection="")


def test_keywords_override_the_query() -> None:
    store = kv.connect("redis://h/0?socket_timeout=1", socket_timeout=2.5, namespace="n")
    assert isinstance(store, RedisStore)
    assert store.options.socket_timeout == 2.5
    assert store.layout.namespace == "n"


def test_password_is_never_shown() -> None:
    store = kv.connect("redis://user:s3cret-pw@h:1/0")
    assert isinstance(store, RedisStore)
    assert store.options.username == "user"
    assert store.options.password == "s3cret-pw"
    for text in (repr(store), str(store), repr(store.options), repr(store.target)):
        assert "s3cret-pw" not in text
    store = kv.connect("redis://h:1/0", password="kw-s3cret")
    assert isinstance(store, RedisStore)
    assert store.options.password == "kw-s3cret"
    assert "kw-s3cret" not in repr(store.options)


def test_a_client_excludes_a_url_and_connection_options() -> None:
    client = redis.asyncio.Redis()
    with pytest.raises(kv.InvalidOptionError):
        RedisStore("redis://h", client=client)
    with pytest.raises(kv.InvalidOptionError, match="socket_timeout"):
        RedisStore(client=client, socket_timeout=3)
    with pytest.raises(kv.InvalidOptionError):
        kv.connect("redis://h?client=x")
    assert repr(RedisStore(client=client, namespace="n")) == "<RedisStore client namespace='n'>"


# --- layout -----------------------------------------------------------------------


async def test_key_layout_is_py_key_value_s(
    redis_server: ServerProcess, raw: redis.asyncio.Redis
) -> None:
    plain = RedisStore(f"redis://127.0.0.1:{redis_server.port}/2")
    named = RedisStore(f"redis://127.0.0.1:{redis_server.port}/2", namespace="my:app")
    try:
        await plain.put("alice", {"n": 1}, collection="users")
        await plain.put("k::x", {"n": 2}, collection="a:b%c")
        await named.put("alice", {"n": 3}, collection="users")
        document = await raw.get("users::alice")
        assert document is not None
        assert document.startswith(b'{"collection":"users","created_at":"')
        assert b'"key":"alice","value":{"n":1},"version":1}' in document
        assert await raw.get("a%3Ab%25c::k::x") is not None
        assert await raw.get("my%3Aapp:users::alice") is not None
        assert sorted(await plain.keys("users")) == ["alice"]
        assert await named.keys("users") == ["alice"]
        assert await plain.keys("a:b%c") == ["k::x"]
    finally:
        await raw.delete("users::alice", "a%3Ab%25c::k::x", "my%3Aapp:users::alice")
        await plain.close()
        await named.close()


async def test_glob_characters_in_collection_names(
    store: RedisStore, resp_checks: ModuleType
) -> None:
    await resp_checks.check_glob_characters_in_names(store)


# --- the server as witness ----------------------------------------------------------


async def test_bulk_calls_are_single_round_trips(
    store: RedisStore, raw: redis.asyncio.Redis, resp_checks: ModuleType
) -> None:
    await resp_checks.check_bulk_calls_are_single_round_trips(store, raw)


async def test_limited_listing_is_exact_and_complete(
    redis_server: ServerProcess, raw: redis.asyncio.Redis, resp_checks: ModuleType
) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/2"
    await resp_checks.check_limited_listing(
        lambda namespace: RedisStore(url, namespace=namespace), raw
    )


async def test_a_small_limit_is_one_scan(
    store: RedisStore, raw: redis.asyncio.Redis, resp_checks: ModuleType
) -> None:
    await resp_checks.check_small_limit_is_one_scan(store, raw)


async def test_destroy_deletes_only_owned_keys(
    redis_server: ServerProcess, raw: redis.asyncio.Redis, resp_checks: ModuleType
) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/2"
    await resp_checks.check_destroy_spares_foreign_keys(
        lambda namespace: RedisStore(url, namespace=namespace), raw
    )


async def test_ttl_is_native_in_milliseconds_rounded_up(
    store: RedisStore, raw: redis.asyncio.Redis
) -> None:
    await store.put("short", {"v": 1}, collection="ttl", ttl=1.5)
    await store.put("tiny", {"v": 1}, collection="ttl", ttl=0.0001)
    await store.put_many(["m1", "m2"], [{}, {}], collection="ttl", ttl=0.25)
    await store.put("plain", {"v": 1}, collection="ttl")
    assert 1000 < await raw.pttl(store.layout.key("ttl", "short")) <= 1500
    assert await raw.pttl(store.layout.key("ttl", "m1")) <= 250
    assert await raw.pttl(store.layout.key("ttl", "plain")) == -1
    value, remaining = await store.ttl("short", collection="ttl")
    assert value == {"v": 1}
    assert remaining is not None
    assert 1.0 < remaining <= 1.5


async def test_cluster_limited_listing(redis_cluster_url: str, resp_checks: ModuleType) -> None:
    store = kv.connect(redis_cluster_url, namespace=f"l-{uuid.uuid4().hex}")
    assert isinstance(store, RedisStore)
    await resp_checks.check_limited_listing_on_a_cluster(store)


async def test_cluster_bulk_calls_span_slots(redis_cluster_url: str) -> None:
    store = kv.connect(redis_cluster_url, namespace=f"s-{uuid.uuid4().hex}")
    assert isinstance(store, RedisStore)
    try:
        keys = [f"key-{i}" for i in range(200)]  # spread over all three masters
        await store.put_many(keys, [{"i": i} for i in range(200)], collection="c", ttl=60)
        assert await store.get_many(keys, collection="c") == [{"i": i} for i in range(200)]
        await store.put_many(keys[:50], [{"again": i} for i in range(50)], collection="c")
        assert sorted(await store.keys("c")) == sorted(keys)
        assert await store.delete_many([*keys, *keys[:10]], collection="c") == 200
        assert await store.keys("c") == []
    finally:
        await store.destroy()
        await store.close()


# --- connections: unix socket, TLS, credentials, failures -----------------------------


async def test_unix_socket(redis_server: ServerProcess) -> None:
    socket_path = redis_server.directory / "redis.sock"
    store = kv.connect(f"redis+unix://{socket_path}?db=2", namespace=f"u-{uuid.uuid4().hex}")
    try:
        await store.put("k", {"via": "unix"})
        assert await store.get("k") == {"via": "unix"}
    finally:
        await store.destroy()  # type: ignore[attr-defined]
        await store.close()  # type: ignore[attr-defined]


async def test_tls_verifies_the_server_and_presents_the_client_certificate(
    redis_tls_server: ServerProcess, tls_files: Any
) -> None:
    port = redis_tls_server.port
    client = f"ssl_certfile={tls_files.client_cert}&ssl_keyfile={tls_files.client_key}"
    good = kv.connect(f"rediss://localhost:{port}/0?ssl_ca_certs={tls_files.ca}&{client}")
    try:
        await good.put("k", {"tls": True}, collection=f"t-{uuid.uuid4().hex}")
    finally:
        await good.close()  # type: ignore[attr-defined]

    unverified = kv.connect(f"rediss://127.0.0.1:{port}/0?ssl_cert_reqs=none&{client}")
    try:
        assert await unverified.get("nothing") is None
    finally:
        await unverified.close()  # type: ignore[attr-defined]

    for url in (
        f"rediss://127.0.0.1:{port}/0?{client}",  # the test CA is not trusted
        f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={tls_files.ca}",  # no client certificate
        f"redis://127.0.0.1:{port}/0",  # no TLS at all
    ):
        store = kv.connect(url, socket_timeout=2, socket_connect_timeout=2, retries=0)
        try:
            with pytest.raises(kv.StoreConnectionError) as caught:
                await store.get("k")
            assert not isinstance(caught.value, redis.RedisError)
        finally:
            await store.close()  # type: ignore[attr-defined]


async def test_credentials_from_the_url(redis_server: ServerProcess) -> None:
    user = f"kv-{uuid.uuid4().hex[:8]}"
    admin = redis.asyncio.Redis(port=redis_server.port)
    await admin.acl_setuser(
        user, enabled=True, passwords=["+right-pw"], keys=["*"], commands=["+@all"]
    )
    try:
        store = kv.connect(f"redis://{user}:right-pw@127.0.0.1:{redis_server.port}/2")
        try:
            await store.put("k", {"v": 1}, collection=user)
            assert await store.get("k", collection=user) == {"v": 1}
            await store.destroy_collection(user)  # type: ignore[attr-defined]
        finally:
            await store.close()  # type: ignore[attr-defined]
        wrong = kv.connect(f"redis://{user}:wrong-pw@127.0.0.1:{redis_server.port}/2")
        try:
            with pytest.raises(kv.StoreConnectionError) as caught:
                await wrong.get("k")
            assert "wrong-pw" not in str(caught.value)
            assert "credentials" in str(caught.value)
        finally:
            await wrong.close()  # type: ignore[attr-defined]
    finally:
        await admin.acl_deluser(user)
        await admin.aclose()


async def test_nothing_listening_is_a_store_connection_error() -> None:
    store = kv.connect(f"redis://:pw-s3cret@127.0.0.1:{free_port()}/0", retries=0)
    try:
        with pytest.raises(kv.StoreConnectionError) as caught:
            await store.put("k", {"v": 1})
        assert not isinstance(caught.value, redis.RedisError)
        assert "pw-s3cret" not in str(caught.value)
        assert caught.value.key == "k"
    finally:
        await store.close()  # type: ignore[attr-defined]


async def test_a_user_client_is_used_and_left_open(
    redis_server: ServerProcess,
) -> None:
    client = redis.asyncio.Redis(port=redis_server.port, db=2, decode_responses=True)
    store = RedisStore(client=client, namespace=f"c-{uuid.uuid4().hex}")
    try:
        await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="c")
        assert await store.get_many(["a", "b"], collection="c") == [{"v": 1}, {"v": 2}]
        assert sorted(await store.keys("c")) == ["a", "b"]
        assert await store.collections() == ["c"]
        await store.close()
        assert await client.ping() is True
        assert store.client is None
        assert await store.destroy() is True
    finally:
        await store.close()
        await client.aclose()


async def test_a_non_string_key_reads_as_a_deserialization_error(
    store: RedisStore, raw: redis.asyncio.Redis
) -> None:
    await store.setup()
    await raw.hset(store.layout.key("c", "hash"), mapping={"a": "1"})
    with pytest.raises(kv.DeserializationError) as caught:
        await store.get("hash", collection="c")
    assert caught.value.key == "hash"
    assert await store.get_many(["hash"], collection="c") == [None]
    await store.put("hash", {"v": 1}, collection="c")  # a write repairs it
    assert await store.get("hash", collection="c") == {"v": 1}
