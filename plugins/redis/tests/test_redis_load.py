"""Reliability under real load, on real redis-servers (issue 8).

* 1,000 calls in flight on one store object are all answered (redis-py's
  pool refused the 101st); with ``max_connections`` set, callers wait for a
  connection instead of failing;
* one store object serves successive ``asyncio.run()`` calls (a client's
  connections belong to the loop that made them), without leaking file
  descriptors;
* a server that stops answering fails a call after ``socket_timeout``, not
  twice that (redis-py retried timed-out commands once).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

import pytest
import redis

import kv
from kv_conformance.servers import ServerProcess
from kv_redis.store import RedisStore

pytestmark = [pytest.mark.kv_server]

anyio_test = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """redis-py's asyncio client runs under asyncio only."""
    return "asyncio"


def _namespace() -> str:
    return f"load-{uuid.uuid4().hex}"


@pytest.fixture
async def raw(redis_server: ServerProcess) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis(port=redis_server.port)
    yield client
    await client.aclose()


def test_capabilities_say_asyncio_only() -> None:
    assert RedisStore.capabilities.asyncio_only
    assert kv.connect("redis://localhost/0").capabilities.asyncio_only


@anyio_test
async def test_a_thousand_calls_in_flight_standalone(
    redis_url: str, resp_checks: ModuleType
) -> None:
    store = kv.connect(redis_url, namespace=_namespace())
    assert isinstance(store, RedisStore)
    try:
        await resp_checks.check_calls_in_flight(store)
    finally:
        await store.destroy()
        await store.close()


@anyio_test
async def test_a_thousand_calls_in_flight_cluster(
    redis_cluster_url: str, resp_checks: ModuleType
) -> None:
    store = kv.connect(redis_cluster_url, namespace=_namespace())
    assert isinstance(store, RedisStore)
    try:
        await resp_checks.check_calls_in_flight(store)
    finally:
        await store.destroy()
        await store.close()


@anyio_test
async def test_a_thousand_calls_in_flight_on_a_user_client(
    redis_server: ServerProcess, resp_checks: ModuleType
) -> None:
    client = redis.asyncio.Redis(port=redis_server.port)  # redis-py's pool: 100 at most
    store = RedisStore(client=client, namespace=_namespace())
    try:
        await resp_checks.check_calls_in_flight(store)
    finally:
        await store.destroy()
        await store.close()
        await client.aclose()


@anyio_test
async def test_max_connections_makes_callers_wait(
    redis_url: str, raw: Any, resp_checks: ModuleType
) -> None:
    store = kv.connect(redis_url, namespace=_namespace(), max_connections=2)
    assert isinstance(store, RedisStore)
    try:
        await resp_checks.check_max_connections_makes_callers_wait(store, raw)
    finally:
        await store.destroy()
        await store.close()


def test_successive_event_loops_standalone(redis_url: str, resp_checks: ModuleType) -> None:
    store = kv.connect(redis_url, namespace=_namespace())
    assert isinstance(store, RedisStore)
    resp_checks.check_successive_event_loops(store)


def test_successive_event_loops_cluster(redis_cluster_url: str, resp_checks: ModuleType) -> None:
    store = kv.connect(redis_cluster_url, namespace=_namespace())
    assert isinstance(store, RedisStore)
    resp_checks.check_successive_event_loops(store)


def test_descriptors_across_event_loops_standalone(redis_url: str, resp_checks: ModuleType) -> None:
    store = kv.connect(redis_url, namespace=_namespace())
    assert isinstance(store, RedisStore)
    resp_checks.check_descriptors_across_event_loops(store)


def test_descriptors_across_event_loops_cluster(
    redis_cluster_url: str, resp_checks: ModuleType
) -> None:
    store = kv.connect(redis_cluster_url, namespace=_namespace())
    assert isinstance(store, RedisStore)
    resp_checks.check_descriptors_across_event_loops(store)


@pytest.fixture(scope="module")
def stoppable_redis(resp_servers: ModuleType) -> Iterator[ServerProcess]:
    """A redis-server of its own: the timeout tests stop it (SIGSTOP) for a while."""
    with resp_servers.standalone_server("redis-stoppable", resp_servers.redis_binary()) as server:
        yield server


@pytest.fixture(scope="module")
def stoppable_cluster(resp_servers: ModuleType) -> Iterator[Any]:
    """A cluster of its own, whose nodes the timeout test stops for a while."""
    cluster = resp_servers.Cluster(
        "redis-stoppable-cluster", resp_servers.redis_binary(), lambda port: redis.Redis(port=port)
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.cleanup()


TIMEOUT = 2.0


@anyio_test
async def test_a_stopped_server_fails_calls_after_the_timeout_not_twice(
    stoppable_redis: ServerProcess, resp_checks: ModuleType
) -> None:
    store = kv.connect(
        f"redis://127.0.0.1:{stoppable_redis.port}/0",
        socket_timeout=TIMEOUT,
        socket_connect_timeout=TIMEOUT,
        max_connections=1,
    )
    assert isinstance(store, RedisStore)
    assert store.options.retries == 1  # the default: broken connections are retried
    pid = stoppable_redis.pid
    assert pid is not None
    try:
        await resp_checks.check_timeout_is_the_bound(store, [pid], TIMEOUT)
    finally:
        await store.close()


@anyio_test
async def test_a_stopped_cluster_fails_calls_after_the_timeout_not_twice(
    stoppable_cluster: Any, resp_checks: ModuleType
) -> None:
    store = kv.connect(
        stoppable_cluster.url("redis+cluster"),
        namespace=_namespace(),
        socket_timeout=TIMEOUT,
        socket_connect_timeout=TIMEOUT,
        max_connections=1,
    )
    assert isinstance(store, RedisStore)
    pids = [node.pid for node in stoppable_cluster.nodes]
    try:
        await resp_checks.check_timeout_is_the_bound(store, pids, TIMEOUT)
    finally:
        await store.close()
