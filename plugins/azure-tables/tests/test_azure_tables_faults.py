"""Azurite stopped and restarted under a store that is in use.

Calls made while the emulator is down raise :class:`kv.StoreConnectionError`,
never an azure-core or aiohttp exception, and the same store object works
again once it is back, without being rebuilt:

* an Azurite that keeps its tables on disk (``--location``), stopped with
  SIGINT (on which it saves them) in the middle of a workload: every write
  that returned before the stop is there after the restart;
* an in-memory Azurite killed with SIGKILL: it comes back without the table,
  which ``auto_create`` makes again on the next write (with ``auto_create``
  off, a write is a :class:`kv.StoreSetupError` naming the table).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import anyio.to_thread
import pytest

import kv
from kv_azure_tables.store import AzureTablesStore
from kv_conformance.emulators import AZURITE_ACCOUNT, azurite_connection_string
from kv_conformance.servers import ServerProcess

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


def _store(server: ServerProcess, table: str, *, auto_create: bool = True) -> AzureTablesStore:
    store = kv.connect(
        f"azure-tables://{AZURITE_ACCOUNT}/{table}",
        connection_string=azurite_connection_string(server),
        retries=0,
        connect_timeout=5,
        read_timeout=30,
        auto_create=auto_create,
    )
    assert isinstance(store, AzureTablesStore)
    return store


async def test_stopped_then_restarted_mid_workload(durable_azurite: ServerProcess) -> None:
    store = _store(durable_azurite, f"t{uuid.uuid4().hex}")
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

    tasks = [asyncio.create_task(worker(n)) for n in range(4)]  # writes in flight at the stop

    async def until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 60
        while not condition():
            assert not all(task.done() for task in tasks), failures  # a worker died
            assert time.monotonic() < deadline, "no progress"
            await asyncio.sleep(0.01)

    try:
        await until(lambda: len(acknowledged) >= 40)
        await anyio.to_thread.run_sync(durable_azurite.stop)
        written_before = list(acknowledged)
        await until(lambda: bool(failures))
        for call in (store.get("k0", collection="work"), store.keys("work")):
            with pytest.raises(kv.StoreConnectionError):
                await call
        await anyio.to_thread.run_sync(durable_azurite.start)
        await until(lambda: len(acknowledged) >= len(written_before) + 40)
    finally:
        stop.set()
        await asyncio.gather(*tasks)

    assert all(type(error) is kv.StoreConnectionError for error in failures), failures
    # The same store object: every acknowledged write, before and after, is there.
    keys = [f"k{i}" for i in acknowledged]
    assert await store.get_many(keys, collection="work") == [{"i": i} for i in acknowledged]
    assert len(written_before) >= 40
    await store.close()


async def test_killed_in_memory_emulator_comes_back_empty(doomed_azurite: ServerProcess) -> None:
    table = f"t{uuid.uuid4().hex}"
    store = _store(doomed_azurite, table)
    strict = _store(doomed_azurite, table, auto_create=False)
    await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}])
    assert await strict.get("a") == {"v": 1}
    await anyio.to_thread.run_sync(doomed_azurite.kill)
    for call in (store.get("a"), store.put("c", {"v": 3}), store.get_many(["a", "b"])):
        with pytest.raises(kv.StoreConnectionError):
            await call
    await anyio.to_thread.run_sync(doomed_azurite.start)
    # In memory: the table is gone. Reads find nothing, a write makes the table again.
    assert await store.get("a") is None
    with pytest.raises(kv.StoreSetupError, match=table):
        await strict.put("c", {"v": 3})
    await store.put("c", {"v": 3})
    assert await store.get_many(["a", "c"]) == [None, {"v": 3}]
    assert await strict.get("c") == {"v": 3}
    await store.close()
    await strict.close()
