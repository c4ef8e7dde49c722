"""What only the Aerospike store does, on a real server: py-key-value's records
both ways, native record TTL and batches, setup checks, and recovery when the
server is stopped and started again (the GitHub workflow's service container)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from typing import Any

import aerospike
import anyio
import pytest

import kv
from kv.errors import StoreConnectionError, StoreSetupError
from kv_aerospike.policies import client_config
from kv_aerospike.records import record_key
from kv_aerospike.store import AerospikeStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def store(aerospike_url: str, set_pool: Any) -> AsyncIterator[AerospikeStore]:
    store = kv.connect(f"{aerospike_url}/{set_pool.take()}")
    assert isinstance(store, AerospikeStore)
    yield store
    await set_pool.give_back(store)


def raw_record(store: AerospikeStore, collection: str, key: str) -> tuple[Any, ...]:
    """``(key, meta, bins)`` of an entry's record, read by a client of its own."""
    client = aerospike.client(client_config(store.options))
    try:
        return tuple(client.get(record_key(store.namespace, store.set_name, collection, key)))
    finally:
        client.close()


# --- py-key-value's AerospikeStore, both ways -----------------------------------------------


def py_key_value_store(store: AerospikeStore) -> Any:
    from key_value.aio.stores.aerospike import AerospikeStore as PyKeyValueAerospikeStore

    hosts = [(host, store.options.port[0]) for host in store.options.hosts]
    return PyKeyValueAerospikeStore(hosts=hosts, namespace=store.namespace, set_name=store.set_name)


async def test_kv_reads_lists_and_deletes_what_py_key_value_wrote(store: AerospikeStore) -> None:
    theirs = py_key_value_store(store)
    await theirs.put(key="alice", value={"name": "Alice"}, collection="users")
    await theirs.put(key="bob", value={"n": 2}, collection="users", ttl=600)
    await theirs.put(key="x", value={"n": 3}, collection="other")
    assert await store.get("alice", collection="users") == {"name": "Alice"}
    value, ttl = await store.ttl("bob", collection="users")
    assert value == {"n": 2}
    assert ttl is not None
    assert 590 < ttl <= 600
    assert await store.get_many(["alice", "bob", "nope"], collection="users") == [
        {"name": "Alice"},
        {"n": 2},
        None,
    ]
    assert sorted(await store.keys("users")) == ["alice", "bob"]
    assert sorted(await store.collections()) == ["other", "users"]
    assert await store.delete("alice", collection="users")
    assert await store.get("alice", collection="users") is None


async def test_py_key_value_reads_what_kv_wrote(store: AerospikeStore) -> None:
    await store.put("alice", {"name": "Alice"}, collection="users")
    await store.put_many(["a", "b"], [{"n": 1}, {"n": 2}], collection="users", ttl=600)
    theirs = py_key_value_store(store)
    assert await theirs.get(key="alice", collection="users") == {"name": "Alice"}
    assert await theirs.get_many(keys=["a", "b"], collection="users") == [{"n": 1}, {"n": 2}]


# --- native TTL and batches ------------------------------------------------------------------


async def test_records_carry_the_entrys_ttl(store: AerospikeStore) -> None:
    await store.put("short", {"v": 1}, collection="c", ttl=100)
    await store.put_many(["m1", "m2"], [{"v": 1}, {"v": 2}], collection="c", ttl=100)
    await store.put("forever", {"v": 1}, collection="c")
    for key in ("short", "m1", "m2"):
        _, meta, _ = raw_record(store, "c", key)
        assert 99 <= meta["ttl"] <= 102
    _, meta, _ = raw_record(store, "c", "forever")
    assert meta["ttl"] in (-1, aerospike.TTL_NEVER_EXPIRE)


async def test_an_expired_entry_the_server_still_holds_is_gone(store: AerospikeStore) -> None:
    await store.put("soon", {"v": 1}, collection="c", ttl=0.2)
    await store.put("kept", {"v": 2}, collection="c")
    await anyio.sleep(0.4)
    assert await store.get("soon", collection="c") is None
    assert await store.keys("c") == ["kept"]
    assert not await store.delete("soon", collection="c")
    assert await store.put_if_absent("soon", {"v": 3}, collection="c")
    assert await store.get("soon", collection="c") == {"v": 3}


async def test_large_batches(store: AerospikeStore) -> None:
    keys = [f"k{i}" for i in range(2_500)]
    await store.put_many(keys, [{"i": i} for i in range(2_500)], collection="big")
    values = await store.get_many(keys, collection="big")
    assert values == [{"i": i} for i in range(2_500)]
    assert len(await store.keys("big")) == 2_500
    assert await store.delete_many(keys[:1_500], collection="big") == 1_500
    assert await store.destroy_collection("big")
    assert await store.keys("big") == []


# --- setup ----------------------------------------------------------------------------------


async def test_a_missing_namespace_is_a_setup_error(store: AerospikeStore) -> None:
    other = AerospikeStore(dataclasses.replace(store.options, namespace="nope"))
    with pytest.raises(StoreSetupError, match="namespace 'nope'"):
        await other.get("k")
    await other.close()


async def test_without_auto_create_the_set_must_exist(store: AerospikeStore) -> None:
    options = dataclasses.replace(store.options, auto_create=False)
    fresh = AerospikeStore(dataclasses.replace(options, set_name="kv-never-written"))
    with pytest.raises(StoreSetupError, match="auto_create is off"):
        await fresh.get("k")
    await fresh.close()
    await store.put("k", {"v": 1})
    existing = AerospikeStore(options)
    assert await existing.get("k") == {"v": 1}
    await existing.close()


# --- the server stopped and started again ------------------------------------------------------


def docker(*arguments: str) -> None:
    """Run ``docker`` (the workflow's runner has it) on the service container."""
    binary = shutil.which("docker")
    assert binary is not None, "docker is not installed"
    subprocess.run([binary, *arguments], check=True, capture_output=True, timeout=120)  # noqa: S603 - the workflow's container id


async def test_the_store_recovers_when_the_server_is_back(store: AerospikeStore) -> None:
    container = os.environ.get("KV_AEROSPIKE_CONTAINER")
    if not container:
        pytest.skip("KV_AEROSPIKE_CONTAINER is not set: the workflow sets it to stop the server")
    await store.put("before", {"v": 1})
    docker("stop", container)
    try:
        with pytest.raises(StoreConnectionError):
            await store.put("during", {"v": 2})
        with pytest.raises(StoreConnectionError):
            await store.get("before")
    finally:
        docker("start", container)
    deadline = time.monotonic() + 120
    while True:  # the same store object, once the server answers again
        try:
            await store.put("after", {"v": 3})
            break
        except (StoreConnectionError, kv.StoreTimeoutError):
            if time.monotonic() > deadline:
                raise
            await anyio.sleep(0.5)
    assert await store.get("after") == {"v": 3}
