"""A PostgreSQL server killed (SIGKILL) in the middle of a workload, then restarted.

Calls during the outage raise StoreConnectionError (never an asyncpg or OS
exception); the server restarts on the same port and data directory (crash
recovery); the same store object carries on, its pool replacing the broken
connections; and every write that returned before the kill is still there.
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
from kv_postgresql.store import PostgreSQLStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def doomed_server(pg: Any) -> Iterator[ServerProcess]:
    server = pg.process("postgres-fault")
    with server:
        yield server


async def test_killed_server_then_restarted(doomed_server: ServerProcess, pg: Any) -> None:
    store = kv.connect(f"{pg.dsn(doomed_server)}?connect_timeout=2&command_timeout=5&max_size=4")
    assert isinstance(store, PostgreSQLStore)
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
        deadline = time.monotonic() + 20
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
    # The same store object: every acknowledged write, before and after, is there.
    keys = [f"k{i}" for i in acknowledged]
    assert await store.get_many(keys, collection="work") == [{"i": i} for i in acknowledged]
    assert len(written_before) >= 100
    await store.put("after", {"v": 1}, collection="work")
    assert await store.get("after", collection="work") == {"v": 1}
    await store.close()


async def test_down_at_first_use_then_up(doomed_server: ServerProcess, pg: Any) -> None:
    store = kv.connect(f"{pg.dsn(doomed_server)}?connect_timeout=2")
    await anyio.to_thread.run_sync(doomed_server.kill)
    for call in (store.get("k"), store.put("k", {"v": 1}), store.keys()):  # type: ignore[attr-defined]
        with pytest.raises(kv.StoreConnectionError):
            await call
    await anyio.to_thread.run_sync(doomed_server.start)
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    await store.close()
