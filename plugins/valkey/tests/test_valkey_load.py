"""Reliability under real load, on a real valkey-server 9 (issue 8).

The same checks as kv-redis's ``test_redis_load.py`` (``resp_checks.py``):
1,000 calls in flight answered, ``max_connections`` makes callers wait,
successive ``asyncio.run()`` calls on one store object without leaking file
descriptors, and ``socket_timeout`` as the bound on a server that stops
answering.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

import pytest
import valkey

import kv
from kv_conformance.servers import ServerProcess
from kv_valkey.store import ValkeyStore

pytestmark = [pytest.mark.kv_server]

anyio_test = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """The valkey client's asyncio API runs under asyncio only."""
    return "asyncio"


def _namespace() -> str:
    return f"load-{uuid.uuid4().hex}"


@pytest.fixture
async def raw(kv_valkey_server: ServerProcess) -> AsyncIterator[valkey.asyncio.Valkey]:
    client = valkey.asyncio.Valkey(port=kv_valkey_server.port)
    yield client
    await client.aclose()


def test_capabilities_say_asyncio_only() -> None:
    assert ValkeyStore.capabilities.asyncio_only
    assert kv.connect("valkey://localhost/0").capabilities.asyncio_only


@anyio_test
async def test_a_thousand_calls_in_flight_standalone(
    kv_valkey_url: str, resp_checks: ModuleType
) -> None:
    store = kv.connect(kv_valkey_url, namespace=_namespace())
    assert isinstance(store, ValkeyStore)
    try:
        await resp_checks.check_calls_in_flight(store)
    finally:
        await store.destroy()
        await store.close()


@anyio_test
async def test_a_thousand_calls_in_flight_cluster(
    kv_valkey_cluster_url: str, resp_checks: ModuleType
) -> None:
    store = kv.connect(kv_valkey_cluster_url, namespace=_namespace())
    assert isinstance(store, ValkeyStore)
    try:
        await resp_checks.check_calls_in_flight(store)
    finally:
        await store.destroy()
        await store.close()


@anyio_test
async def test_max_connections_makes_callers_wait(
    kv_valkey_url: str, raw: Any, resp_checks: ModuleType
) -> None:
    store = kv.connect(kv_valkey_url, namespace=_namespace(), max_connections=2)
    assert isinstance(store, ValkeyStore)
    try:
        await resp_checks.check_max_connections_makes_callers_wait(store, raw)
    finally:
        await store.destroy()
        await store.close()


def test_successive_event_loops_standalone(kv_valkey_url: str, resp_checks: ModuleType) -> None:
    store = kv.connect(kv_valkey_url, namespace=_namespace())
    assert isinstance(store, ValkeyStore)
    resp_checks.check_successive_event_loops(store)


def test_successive_event_loops_cluster(
    kv_valkey_cluster_url: str, resp_checks: ModuleType
) -> None:
    store = kv.connect(kv_valkey_cluster_url, namespace=_namespace())
    assert isinstance(store, ValkeyStore)
    resp_checks.check_successive_event_loops(store)


def test_descriptors_across_event_loops(kv_valkey_url: str, resp_checks: ModuleType) -> None:
    store = kv.connect(kv_valkey_url, namespace=_namespace())
    assert isinstance(store, ValkeyStore)
    resp_checks.check_descriptors_across_event_loops(store)


@pytest.fixture(scope="module")
def stoppable_valkey(resp_servers: ModuleType) -> Iterator[ServerProcess]:
    """A valkey-server of its own: the timeout test stops it (SIGSTOP) for a while."""
    with resp_servers.standalone_server("valkey-stoppable", resp_servers.valkey_binary()) as server:
        yield server


TIMEOUT = 2.0


@anyio_test
async def test_a_stopped_server_fails_calls_after_the_timeout_not_twice(
    stoppable_valkey: ServerProcess, resp_checks: ModuleType
) -> None:
    store = kv.connect(
        f"valkey://127.0.0.1:{stoppable_valkey.port}/0",
        socket_timeout=TIMEOUT,
        socket_connect_timeout=TIMEOUT,
        max_connections=1,
    )
    assert isinstance(store, ValkeyStore)
    pid = stoppable_valkey.pid
    assert pid is not None
    try:
        await resp_checks.check_timeout_is_the_bound(store, [pid], TIMEOUT)
    finally:
        await store.close()
