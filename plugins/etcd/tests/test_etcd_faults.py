"""A real etcd stopped (SIGTERM) or killed (SIGKILL) in the middle of a workload,
then started again on the same port with the same data directory.

The fault tests start an etcd of their own (the session's shared one keeps
running). Calls during the outage raise StoreConnectionError (never an aetcd
or grpc exception); the same store object carries on once etcd is back, and
every write that returned before the outage is still there (etcd keeps its
data across the restart). Skipped when ``KV_ETCD_URL`` names an external
server, which the tests cannot stop.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator

import anyio
import pytest

import kv
from kv_conformance.emulators import etcd
from kv_conformance.servers import ServerProcess
from kv_etcd.store import EtcdStore

EXTERNAL = os.environ.get("KV_ETCD_URL", "")
"""A server the tests did not start (see conftest.py)."""

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.kv_server,
    pytest.mark.skipif(bool(EXTERNAL), reason="KV_ETCD_URL names a server the tests cannot stop"),
]


@pytest.fixture(scope="module")
def doomed_server() -> Iterator[ServerProcess]:
    with etcd() as server:
        yield server


@pytest.mark.parametrize("how", ["stop", "kill"])
async def test_server_stopped_then_restarted(doomed_server: ServerProcess, how: str) -> None:
    # Short deadlines: the outage shows at once.
    store = kv.connect(
        f"etcd://127.0.0.1:{doomed_server.port}/fault-{how}?command_timeout=3&connect_timeout=2"
    )
    assert isinstance(store, EtcdStore)
    acknowledged: list[int] = []
    failures: list[BaseException] = []
    stop = asyncio.Event()

    async def worker(first: int) -> None:
        i = first
        while not stop.is_set():
            try:
                await store.put(f"k{i}", {"i": i}, collection="work", ttl=3600 if i % 2 else None)
                acknowledged.append(i)
            except kv.StoreConnectionError as error:
                failures.append(error)
                await asyncio.sleep(0.02)
            except Exception as error:  # anything else fails the test
                failures.append(error)
                raise
            i += 4

    tasks = [asyncio.create_task(worker(n)) for n in range(4)]  # writes in flight at the fault

    async def until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 120
        while not condition():
            assert not all(task.done() for task in tasks), failures  # every worker died
            assert time.monotonic() < deadline, "no progress"
            await asyncio.sleep(0.01)

    try:
        await until(lambda: len(acknowledged) >= 50)
        await anyio.to_thread.run_sync(getattr(doomed_server, how))
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
    # The same store object: every acknowledged write, before and after, is there.
    keys = [f"k{i}" for i in acknowledged]
    assert await store.get_many(keys, collection="work") == [{"i": i} for i in acknowledged]
    await store.put("after", {"v": 1}, collection="work", ttl=60)
    assert await store.get("after", collection="work") == {"v": 1}
    assert await store.destroy() is True
    await store.close()
