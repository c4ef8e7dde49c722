"""What is special about kv-etcd, against the session's real etcd server.

URL forms and options, discovery and the light plugin module, the key
layout (read back with a plain aetcd client), names that look like paths,
leases (one per expiry second, a lost lease replaced), expired entries that
etcd still holds, bulk calls larger than one transaction may be, a cluster
member that cannot be reached, and error translation.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from typing import Any

import aetcd  # type: ignore[import-untyped]
import pytest

import kv
from kv import registry
from kv.entry import StoredEntry, encode_document
from kv_conformance.servers import free_port
from kv_etcd.plugin import ETCD_CAPABILITIES, EtcdOptions
from kv_etcd.store import EtcdStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


def _address(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("etcd://").partition(":")
    return host, int(port)


@pytest.fixture
async def raw(etcd_url: str) -> AsyncIterator[Any]:
    """A plain aetcd client of the session's server."""
    host, port = _address(etcd_url)
    async with aetcd.Client(host=host, port=port) as client:
        yield client


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[EtcdStore]:
    """A store under a fresh prefix."""
    store = kv.connect(store_url)
    assert isinstance(store, EtcdStore)
    yield store
    await store.destroy()
    await store.close()


# --- discovery, URL and options -------------------------------------------------------


def test_registry_resolves_the_scheme() -> None:
    plugin = registry.resolve("etcd")
    assert plugin.options is EtcdOptions
    assert plugin.capabilities == ETCD_CAPABILITIES
    assert registry.origin("etcd") == "kv-etcd"


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_etcd
        import kv_etcd.plugin
        from kv import registry
        registry.resolve("etcd")
        registry.plugins()
        heavy = ("kv_etcd.store", "aetcd", "grpc")
        print(",".join(sorted(name for name in heavy if name in sys.modules)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def test_url_forms() -> None:
    store = EtcdStore("etcd://user:s3cret-pw@h1:2001,h2:2002/app/cache")
    assert store.options.hosts == ("h1", "h2")
    assert store.options.port == (2001, 2002)
    assert store.options.prefix == "app/cache"
    assert store.options.user == "user"
    assert "s3cret-pw" not in repr(store)
    assert "s3cret-pw" not in repr(store.options)
    default = EtcdStore("etcd://h1")
    assert default.options.prefix == "kv"
    assert EtcdStore("etcd://h1/").options.prefix == "kv"
    typed = EtcdStore(EtcdOptions(hosts=("h",), prefix="/p/"))
    assert typed.options.prefix == "p"
    connected = kv.connect("etcd://h:1/x?max_txn_ops=64&command_timeout=5")
    assert isinstance(connected, EtcdStore)
    assert connected.options.max_txn_ops == 64
    assert connected.options.command_timeout == 5.0


@pytest.mark.parametrize(
    "url",
    [
        "etcd://h/p?max_txn_ops=0",
        "etcd://h/p?max_txn_ops=lots",
        "etcd://h/p?command_timeout=-1",
        "etcd://h/p?no_such_option=1",
    ],
)
def test_bad_options_are_refused(url: str) -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect(url)


def test_bad_prefix_is_refused() -> None:
    with pytest.raises(kv.InvalidOptionError, match="prefix"):
        EtcdStore(EtcdOptions(hosts=("h",), prefix="///"))


def test_password_without_user_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ETCDCTL_USER", raising=False)
    with pytest.raises(kv.InvalidOptionError, match="needs a user") as caught:
        kv.connect("etcd://h/p?password=pw-never-shown")
    assert "pw-never-shown" not in str(caught.value)


def test_credentials_from_etcdctl_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from kv_etcd.client import credentials

    monkeypatch.setenv("ETCDCTL_USER", "alice:pw-from-env")
    assert credentials(EtcdOptions(hosts=("h",))) == ("alice", "pw-from-env")
    monkeypatch.setenv("ETCDCTL_USER", "bob")
    monkeypatch.setenv("ETCDCTL_PASSWORD", "pw2")
    assert credentials(EtcdOptions(hosts=("h",))) == ("bob", "pw2")
    # The URL's (or the options') user wins over the environment.
    assert credentials(EtcdOptions(hosts=("h",), user="u", password="p")) == ("u", "p")


# --- layout ------------------------------------------------------------------------------


async def test_layout_is_prefix_collection_key_with_a_json_document(
    store: EtcdStore, raw: Any
) -> None:
    await store.put("c", {"v": 1}, collection="a/b")
    await store.put("b/c", {"v": 2}, collection="a")
    await store.put("k", {"v": 3}, collection="100%")
    prefix = store.options.prefix
    found = await raw.get_prefix(f"{prefix}/".encode())
    keys = sorted(pair.key for pair in found)
    assert keys == sorted(
        [f"{prefix}/a%2Fb/c".encode(), f"{prefix}/a/b/c".encode(), f"{prefix}/100%25/k".encode()]
    )
    stored = await raw.get(f"{prefix}/a/b/c".encode())
    document = json.loads(stored.value)
    assert document["value"] == {"v": 2}
    assert document["collection"] == "a"
    assert document["key"] == "b/c"
    assert "created_at" in document
    assert "expires_at" not in document
    assert stored.lease == 0
    assert sorted(await store.collections()) == ["100%", "a", "a/b"]
    assert await store.keys("a") == ["b/c"]
    assert await store.keys("a/b") == ["c"]


async def test_names_like_paths_and_nul_list_back(store: EtcdStore) -> None:
    names = ["/", "//", "a/", "%2F", "%", "a\x00b", "é", "k" * 1500, ".."]
    for name in names:
        await store.put(name, {"n": name}, collection=name)
    assert sorted(await store.collections()) == sorted(names)
    for name in names:
        assert await store.keys(name) == [name]
        assert await store.get(name, collection=name) == {"n": name}


async def test_reads_an_entry_written_by_another_tool(store: EtcdStore, raw: Any) -> None:
    """A document written straight into etcd (py-key-value's ManagedEntry form, with
    its value as a string) is read back."""
    prefix = store.options.prefix
    document = {
        "collection": "users",
        "key": "alice",
        "value": json.dumps({"name": "Alice"}),
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    await raw.put(f"{prefix}/users/alice".encode(), json.dumps(document).encode())
    assert await store.get("alice", collection="users") == {"name": "Alice"}
    assert await store.keys("users") == ["alice"]


# --- leases -------------------------------------------------------------------------------


async def test_ttl_is_an_etcd_lease_shared_within_a_second(store: EtcdStore, raw: Any) -> None:
    prefix = store.options.prefix
    await store.put_many([f"k{i}" for i in range(20)], [{"i": i} for i in range(20)], ttl=600)
    leases = set()
    for i in range(20):
        stored = await raw.get(f"{prefix}/default_collection/k{i}".encode())
        leases.add(stored.lease)
    assert len(leases) == 1
    (lease,) = leases
    assert lease != 0
    info = await raw.get_lease_info(lease, keys=False)
    assert 598 <= info.TTL <= 601
    _, remaining = await store.ttl("k0")
    assert remaining is not None
    assert remaining <= info.TTL + 1


async def test_etcd_deletes_the_entry_when_its_lease_expires(store: EtcdStore, raw: Any) -> None:
    prefix = store.options.prefix
    await store.put("brief", {"v": 1}, ttl=1)
    etcd_key = f"{prefix}/default_collection/brief".encode()
    assert (await raw.get(etcd_key)).lease != 0
    deadline = time.monotonic() + 60
    while await raw.get(etcd_key) is not None:
        assert time.monotonic() < deadline, "etcd kept the key past its lease"
        await asyncio.sleep(0.2)
    assert await store.get("brief") is None


async def test_a_revoked_lease_is_replaced(store: EtcdStore, raw: Any) -> None:
    prefix = store.options.prefix
    await store.put("a", {"v": 1}, ttl=900)
    lease = (await raw.get(f"{prefix}/default_collection/a".encode())).lease
    await raw.revoke_lease(lease)  # takes key "a" with it
    assert await store.get("a") is None
    await store.put("b", {"v": 2}, ttl=900)  # the cached lease is gone: a new one
    stored = await raw.get(f"{prefix}/default_collection/b".encode())
    assert stored.lease not in (0, lease)
    assert await store.get("b") == {"v": 2}
    assert await store.put_if_absent("c", {"v": 3}, ttl=900) is True


async def test_expired_entries_etcd_still_holds_are_hidden(store: EtcdStore, raw: Any) -> None:
    """An entry past its expiry whose key etcd still holds (a lease fires up to a second
    late; here: no lease at all) is absent for every call, and cull() removes it."""
    prefix = store.options.prefix
    now = time.time()
    stale = encode_document(
        StoredEntry('{"v":0}', now - 10, now - 5), collection="default_collection", key="old"
    )
    etcd_key = f"{prefix}/default_collection/old".encode()
    await raw.put(etcd_key, stale.encode())
    assert await store.get("old") is None
    assert await store.get_many(["old"]) == [None]
    assert await store.ttl("old") == (None, None)
    assert await store.delete("old") is False
    await raw.put(etcd_key, stale.encode())
    assert await store.delete_many(["old", "missing"]) == 0
    await raw.put(etcd_key, stale.encode())
    assert await store.get_versioned("old") is None
    assert await store.put_if_absent("old", {"v": 1}) is True
    assert await store.get("old") == {"v": 1}
    await raw.put(etcd_key, stale.encode())
    await store.put("live", {"v": 2})
    assert await store.cull() == 1
    assert await raw.get(etcd_key) is None
    assert await store.cull() == 0
    assert await store.get("live") == {"v": 2}


# --- bulk calls and transactions ----------------------------------------------------------


async def test_bulk_calls_larger_than_one_transaction(store: EtcdStore, raw: Any) -> None:
    # The server takes at most 128 operations in one transaction...
    prefix = store.options.prefix
    tx = raw.transactions
    too_many = [tx.put(f"{prefix}/raw/{i}".encode(), b"x") for i in range(129)]
    with pytest.raises(aetcd.exceptions.ClientError, match="too many operations"):
        await raw.transaction(compare=[], success=too_many, failure=[])
    # ... and the store splits a larger batch into transactions of 128.
    keys = [f"k{i:04d}" for i in range(300)]
    await store.put_many(keys, [{"i": i} for i in range(300)], collection="big", ttl=600)
    assert await store.get_many(keys, collection="big") == [{"i": i} for i in range(300)]
    assert len(await store.keys("big")) == 300
    assert await store.delete_many([*keys, "k0000", "nope"], collection="big") == 300
    assert await store.keys("big") == []


async def test_put_many_splits_by_size(store: EtcdStore) -> None:
    """Values that together pass etcd's 1.5 MiB request limit go in several transactions."""
    big = {"blob": "x" * 400_000}
    keys = [f"b{i}" for i in range(6)]
    await store.put_many(keys, [big] * 6)
    assert await store.get_many(keys) == [big] * 6


async def test_smaller_max_txn_ops(store_url: str) -> None:
    store = kv.connect(f"{store_url}?max_txn_ops=7")
    keys = [f"k{i}" for i in range(50)]
    await store.put_many(keys, [{"i": i} for i in range(50)])
    assert await store.get_many(keys) == [{"i": i} for i in range(50)]
    assert await store.delete_many(keys) == 50
    await store.close()


# --- members and errors --------------------------------------------------------------------


async def test_a_member_that_cannot_be_reached_is_passed_over(etcd_url: str) -> None:
    host, port = _address(etcd_url)
    dead = free_port()
    store = kv.connect(f"etcd://127.0.0.1:{dead},{host}:{port}/fail-over-{free_port()}")
    assert isinstance(store, EtcdStore)
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    assert await store.destroy() is True
    await store.close()


async def test_unreachable_server_is_a_connection_error() -> None:
    store = kv.connect(
        f"etcd://u:pw-never-shown@127.0.0.1:{free_port()}/p?command_timeout=5&connect_timeout=2"
    )
    with pytest.raises(kv.StoreConnectionError) as caught:
        await store.get("k")
    assert "127.0.0.1" in str(caught.value)
    assert "pw-never-shown" not in str(caught.value)
    assert "pw-never-shown" not in repr(caught.value)
    await store.close()


async def test_too_large_a_value_is_refused_and_leaves_data(store: EtcdStore) -> None:
    await store.put("k", {"v": 1})
    with pytest.raises(kv.KeyValueError) as caught:
        await store.put("k", {"blob": "x" * 1_100_000})
    assert caught.value.key == "k"
    assert await store.get("k") == {"v": 1}
