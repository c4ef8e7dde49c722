"""A memcached server killed in the middle of a workload, then restarted.

Calls during the outage raise StoreConnectionError (never a client or OS
exception), the same store object works again once the server is back on the
same port. Memcached keeps nothing across a restart (it is a cache), so the
"no acknowledged write is lost" guarantee cannot hold for it; the test shows
what does hold.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest

import kv
from kv_conformance.servers import ServerProcess
from kv_memcached.store import MemcachedStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def doomed_server(mc: Any) -> Iterator[ServerProcess]:
    with mc.process("memcached-fault") as server:
        yield server


async def test_killed_server_then_restarted(doomed_server: ServerProcess, mc: Any) -> None:
    store = kv.connect(f"{mc.url_of(doomed_server)}?timeout=2")
    assert isinstance(store, MemcachedStore)
    acknowledged: list[int] = []
    failures: list[BaseException] = []
    stop = asyncio.Event()

    async def workload() -> None:
        i = 0
        while not stop.is_set():
            try:
                await store.put(f"k{i}", {"i": i}, collection="work")
                assert await store.get(f"k{i}", collection="work") == {"i": i}
                acknowledged.append(i)
            except kv.StoreConnectionError as error:
                failures.append(error)
                await asyncio.sleep(0.01)
            except Exception as error:  # anything else is a failure of the test
                failures.append(error)
                raise
            i += 1

    task = asyncio.create_task(workload())

    async def until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 20
        while not condition():
            assert not task.done(), failures  # the workload died
            assert time.monotonic() < deadline, "no progress"
            await asyncio.sleep(0.01)

    try:
        await until(lambda: len(acknowledged) >= 50)
        await anyio.to_thread.run_sync(doomed_server.kill)
        await until(lambda: bool(failures))
        before_restart = len(acknowledged)
        await asyncio.sleep(0.2)  # calls keep failing while it is down
        assert len(acknowledged) <= before_restart + 1
        await anyio.to_thread.run_sync(doomed_server.start)
        await until(lambda: len(acknowledged) >= before_restart + 50)
    finally:
        stop.set()
        await task

    assert failures
    assert all(type(error) is kv.StoreConnectionError for error in failures), failures
    assert all(doomed_server.name in str(error) or "127.0.0.1" in str(error) for error in failures)
    # The same store object carries on after the restart...
    await store.put("after", {"v": 1}, collection="work")
    assert await store.get("after", collection="work") == {"v": 1}
    # ...but memcached kept nothing from before the kill: it is a cache.
    assert await store.get(f"k{acknowledged[0]}", collection="work") is None
    await store.close()


async def test_down_at_first_use_then_up(doomed_server: ServerProcess, mc: Any) -> None:
    store = kv.connect(f"{mc.url_of(doomed_server)}?timeout=2")
    await anyio.to_thread.run_sync(doomed_server.kill)
    for call in (store.get("k"), store.put("k", {"v": 1}), store.delete_many(["a", "b"])):
        with pytest.raises(kv.StoreConnectionError):
            await call
    await anyio.to_thread.run_sync(doomed_server.start)
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    await store.close()
