"""DynamoDB Local killed (SIGKILL) in the middle of a workload, then started again.

The fault test's own DynamoDB Local keeps its tables in a file (the session's
shared one is in memory, and a restart would lose every table). Calls during
the outage raise StoreConnectionError (never a botocore or aiohttp
exception); the same store object carries on once the emulator is back, and
every write that returned before the kill is still there.
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
from kv_dynamodb.store import DynamoDBStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def doomed_server(ddb: Any) -> Iterator[ServerProcess]:
    with ddb.persistent() as server:
        yield server


async def test_killed_emulator_then_restarted(doomed_server: ServerProcess, ddb: Any) -> None:
    # One try per call and short timeouts: the outage shows at once.
    store = kv.connect(ddb.url(doomed_server, max_attempts=1, connect_timeout=2, read_timeout=5))
    assert isinstance(store, DynamoDBStore)
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
        deadline = time.monotonic() + 120
        while not condition():
            assert not all(task.done() for task in tasks), failures  # every worker died
            assert time.monotonic() < deadline, "no progress"
            await asyncio.sleep(0.01)

    try:
        await until(lambda: len(acknowledged) >= 50)
        await anyio.to_thread.run_sync(doomed_server.kill)
        await until(lambda: bool(failures))
        written_before = list(acknowledged)
        with pytest.raises(kv.StoreConnectionError):
            await store.get("k0", collection="work")
        await anyio.to_thread.run_sync(doomed_server.start)
        await until(lambda: len(acknowledged) >= len(written_before) + 50)
    finally:
        stop.set()
        await asyncio.gather(*tasks)

    assert all(type(error) is kv.StoreConnectionError for error in failures), failures
    assert "kvtestsecret" not in " ".join(str(error) for error in failures)
    # The same store object: every acknowledged write, before and after, is there.
    keys = [f"k{i}" for i in acknowledged]
    assert await store.get_many(keys, collection="work") == [{"i": i} for i in acknowledged]
    await store.put("after", {"v": 1}, collection="work")
    assert await store.get("after", collection="work") == {"v": 1}
    await store.close()
