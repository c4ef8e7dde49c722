"""kv-redis's atomic operations beyond the conformance suite: what is special to Redis.

The suite's atomic section runs for every class of ``test_redis_conformance``
(standalone, TLS, cluster, with the two-process claim). Here: the round trips
and the version (the SHA-1 of the stored document), scripts evicted from the
server's cache, connections the server closed, a cluster's slots, a client
the user made, and entries written by py-key-value.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import ModuleType

import pytest
import redis.asyncio
from key_value.aio.stores.redis import RedisStore as PyKVRedisStore

import kv
from kv.atomic import update
from kv_conformance.servers import ServerProcess
from kv_redis.store import RedisStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


@pytest.fixture
def anyio_backend() -> str:
    """redis-py's asyncio client runs under asyncio only."""
    return "asyncio"


@pytest.fixture
async def raw(redis_server: ServerProcess) -> AsyncIterator[redis.asyncio.Redis]:
    """A plain redis-py client on database 4 of the standalone server."""
    client = redis.asyncio.Redis(port=redis_server.port, db=4)
    yield client
    await client.aclose()


@pytest.fixture
async def store(redis_server: ServerProcess) -> AsyncIterator[RedisStore]:
    """A store on database 4 with a namespace of its own."""
    store = RedisStore(
        f"redis://127.0.0.1:{redis_server.port}/4", namespace=f"a-{uuid.uuid4().hex}"
    )
    yield store
    await store.destroy()
    await store.close()


@pytest.fixture
async def cluster_store(redis_cluster_url: str) -> AsyncIterator[RedisStore]:
    """A store on the 3-master cluster with a namespace of its own."""
    store = kv.connect(redis_cluster_url, namespace=f"a-{uuid.uuid4().hex}")
    assert isinstance(store, RedisStore)
    yield store
    await store.destroy()
    await store.close()


async def test_one_round_trip_each_and_the_version_is_the_documents_sha1(
    store: RedisStore, raw: redis.asyncio.Redis, resp_checks: ModuleType
) -> None:
    await resp_checks.check_atomic_round_trips(store, raw)


async def test_scripts_evicted_from_the_cache_still_run(
    store: RedisStore, resp_checks: ModuleType
) -> None:
    await resp_checks.check_atomic_survives_script_flush(store)


async def test_scripts_evicted_from_a_clusters_caches_still_run(
    cluster_store: RedisStore, resp_checks: ModuleType
) -> None:
    await resp_checks.check_atomic_survives_script_flush(cluster_store, cluster=True)


async def test_connections_the_server_closed_are_replaced_before_sending(
    store: RedisStore, raw: redis.asyncio.Redis, resp_checks: ModuleType
) -> None:
    await resp_checks.check_atomic_after_server_closed_connections(store, raw)


async def test_cluster_claims_and_updates_across_slots(cluster_store: RedisStore) -> None:
    keys = [f"key-{i}" for i in range(60)]  # spread over all three masters
    assert all([await cluster_store.put_if_absent(k, {"n": 0}, collection="c") for k in keys])
    assert not any([await cluster_store.put_if_absent(k, {"n": 1}, collection="c") for k in keys])
    for k in keys:
        await update(
            cluster_store, k, lambda old: {"n": (old or {"n": 0})["n"] + 1}, collection="c"
        )
    assert await cluster_store.get_many(keys, collection="c") == [{"n": 1}] * len(keys)
    for k in keys:
        found = await cluster_store.get_versioned(k, collection="c")
        assert found is not None
        assert await cluster_store.delete_if_version(k, found.version, collection="c")
    assert await cluster_store.keys("c") == []


async def test_a_user_client_serves_the_atomic_operations(redis_server: ServerProcess) -> None:
    client = redis.asyncio.Redis(port=redis_server.port, db=4)
    store = RedisStore(client=client, namespace=f"u-{uuid.uuid4().hex}")
    try:
        assert await store.put_if_absent("k", {"v": 1}, ttl=60)
        found = await store.get_versioned("k")
        assert found is not None
        assert await store.put_if_version("k", {"v": 2}, found.version)
        assert await client.ping()
    finally:
        await store.destroy()
        await store.close()
        await client.aclose()


async def test_entries_written_by_py_key_value_can_be_claimed_and_compared(
    redis_server: ServerProcess,
) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/5"
    theirs = PyKVRedisStore(url=url)
    ours = kv.connect(url)
    assert isinstance(ours, RedisStore)
    try:
        await ours.destroy()
        await theirs.put("job", {"state": "new"}, collection="jobs", ttl=300)
        assert not await ours.put_if_absent("job", {"state": "mine"}, collection="jobs")
        found = await ours.get_versioned("job", collection="jobs")
        assert found is not None
        assert found.value == {"state": "new"}
        assert found.ttl is not None
        assert 0 < found.ttl <= 300
        assert await ours.put_if_version(
            "job", {"state": "taken"}, found.version, collection="jobs"
        )
        assert await theirs.get("job", collection="jobs") == {"state": "taken"}
        # py-key-value writes again: the version from before is refused.
        taken = await ours.get_versioned("job", collection="jobs")
        assert taken is not None
        await theirs.put("job", {"state": "taken"}, collection="jobs")
        assert not await ours.delete_if_version("job", taken.version, collection="jobs")
        # What kv claimed, py-key-value reads.
        assert await ours.put_if_absent("fresh", {"v": 1}, collection="jobs", ttl=300)
        assert await theirs.get("fresh", collection="jobs") == {"v": 1}
    finally:
        await ours.destroy()
        await ours.close()
        await theirs.close()


async def test_conditional_writes_are_not_retried_after_a_broken_connection(
    store: RedisStore, raw: redis.asyncio.Redis, resp_checks: ModuleType
) -> None:
    await resp_checks.check_conditional_writes_are_not_retried(store, raw, plain_put_retried=True)


async def test_keys_whose_document_expired_count_as_absent(
    store: RedisStore, raw: redis.asyncio.Redis, resp_checks: ModuleType
) -> None:
    await resp_checks.check_expired_documents_count_as_absent(store, raw)
