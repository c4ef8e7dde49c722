"""Faults on a real redis-server: killed mid-workload, restarted on the same port.

The server runs with ``--appendonly yes --appendfsync always``, so every
write it acknowledged is on disk before the reply: after a SIGKILL and a
restart, every put that returned must still be there. Calls made while the
server is down raise :class:`kv.StoreConnectionError`, never a redis-py
exception, and the same store object works again once the server is back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import redis

import kv
from kv_conformance.servers import ServerProcess
from kv_redis.store import RedisStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


@pytest.fixture
def anyio_backend() -> str:
    """redis-py's asyncio client runs under asyncio only."""
    return "asyncio"


@pytest.fixture(scope="module")
def durable_redis(resp_servers: ModuleType) -> Iterator[ServerProcess]:
    """A redis-server of its own (it gets killed), fsyncing every write."""
    binary = resp_servers.redis_binary()

    def command(port: int, directory: Path) -> list[str]:
        return [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--loglevel",
            "warning",
        ]

    with ServerProcess("redis-durable", command) as server:
        yield server


async def test_kill_restart_same_store_no_acknowledged_write_lost(
    durable_redis: ServerProcess, resp_checks: ModuleType
) -> None:
    store = kv.connect(
        f"redis://127.0.0.1:{durable_redis.port}/0",
        namespace=f"f-{uuid.uuid4().hex}",
        socket_connect_timeout=2,
    )
    assert isinstance(store, RedisStore)
    try:
        await resp_checks.check_fault_recovery(store, durable_redis, redis.RedisError)
    finally:
        await store.destroy()
        await store.close()


async def test_a_slow_server_is_a_store_timeout_error(durable_redis: ServerProcess) -> None:
    store = kv.connect(f"redis://127.0.0.1:{durable_redis.port}/0", socket_timeout=0.2, retries=0)
    admin = redis.asyncio.Redis(port=durable_redis.port)
    try:
        assert await store.get("k") is None  # connected
        await admin.client_pause(1000, all=True)
        with pytest.raises(kv.StoreTimeoutError) as caught:
            await store.get("k")
        assert not isinstance(caught.value, redis.RedisError)
        assert caught.value.key == "k"
    finally:
        await admin.client_unpause()
        await admin.aclose()
        await store.close()  # type: ignore[attr-defined]
    # and the store is usable again
    assert await store.get("k") is None
    await store.close()  # type: ignore[attr-defined]
