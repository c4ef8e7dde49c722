"""A nats-server stopped, or killed (SIGKILL) in the middle of a workload, then
restarted on the same port and JetStream directory.

Calls while it is down raise StoreConnectionError (never a nats-py
exception), promptly; the same store object works again once the server is
back, without being rebuilt; and the entries written before are still there
(JetStream keeps its file-backed streams in the server's directory).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import anyio
import pytest

import kv
from kv_conformance.servers import ServerProcess
from kv_nats.store import NatsStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


def _url(server: ServerProcess) -> str:
    return f"nats://{server.host}:{server.port}/faults?connect_timeout=2&command_timeout=5"


async def test_stopped_server_then_restarted(doomed_server: ServerProcess) -> None:
    store = kv.connect(_url(doomed_server))
    assert isinstance(store, NatsStore)
    await store.put_many([f"k{i}" for i in range(50)], [{"i": i} for i in range(50)])
    await store.put("expiring", {"v": 1}, ttl=3600)
    await anyio.to_thread.run_sync(doomed_server.stop)
    for _ in range(3):  # each call fails at once, on a new connection attempt too
        started = time.monotonic()
        for call in (store.get("k1"), store.put("k", {"v": 1}), store.keys()):
            with pytest.raises(kv.StoreConnectionError):
                await call
        assert time.monotonic() - started < 5
    await anyio.to_thread.run_sync(doomed_server.start)
    assert await store.get_many(["k0", "k49"]) == [{"i": 0}, {"i": 49}]
    value, ttl = await store.ttl("expiring")
    assert value == {"v": 1}
    assert ttl is not None
    assert ttl > 3500
    assert len(await store.keys()) == 51
    assert await store.put_if_absent("new", {"v": 2})
    await store.destroy()
    await store.close()


async def test_killed_server_then_restarted(doomed_server: ServerProcess) -> None:
    store = kv.connect(_url(doomed_server))
    assert isinstance(store, NatsStore)
    acknowledged: list[int] = []
    failures: list[BaseException] = []
    stop = asyncio.Event()

    async def worker(first: int) -> None:
        i = first
        while not stop.is_set():
            try:
                await store.put(f"k{i}", {"i": i}, collection="work")
                acknowledged.append(i)
            except kv.StoreConnectionError as error:
                failures.append(error)
                await asyncio.sleep(0.02)
            except Exception as error:  # anything else fails the test
                failures.append(error)
                raise
            i += 4

    tasks = [asyncio.create_task(worker(n)) for n in range(4)]  # writes in flight at the kill

    async def until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            assert not all(task.done() for task in tasks), failures  # a worker died
            assert time.monotonic() < deadline, "no progress"
            await asyncio.sleep(0.01)

    try:
        await until(lambda: len(acknowledged) >= 100)
        await anyio.to_thread.run_sync(doomed_server.kill)
        await until(lambda: bool(failures))
        written_before = list(acknowledged)
        await anyio.to_thread.run_sync(doomed_server.start)
        await until(lambda: len(acknowledged) >= len(written_before) + 100)
    finally:
        stop.set()
        await asyncio.gather(*tasks)

    assert all(type(error) is kv.StoreConnectionError for error in failures), failures
    keys = [f"k{i}" for i in acknowledged]
    assert await store.get_many(keys, collection="work") == [{"i": i} for i in acknowledged]
    await store.destroy()
    await store.close()


async def test_down_at_first_use_then_up(doomed_server: ServerProcess) -> None:
    store = kv.connect(_url(doomed_server))
    await anyio.to_thread.run_sync(doomed_server.stop)
    for call in (store.get("k"), store.put("k", {"v": 1}), store.keys()):  # type: ignore[attr-defined]
        with pytest.raises(kv.StoreConnectionError):
            await call
    await anyio.to_thread.run_sync(doomed_server.start)
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    await store.close()
