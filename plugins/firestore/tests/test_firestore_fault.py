"""The Firestore emulator killed in the middle of a workload, then started again.

Calls while it is down raise StoreConnectionError within the store's
``command_timeout`` (the client's retries never hang a call); the emulator
starts again on the same port (it keeps nothing across a restart) and the
same store object carries on, without being rebuilt. The session's emulator
is the one restarted: every test uses fresh names, so losing its data harms
no other test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import anyio
import pytest

import kv
from kv_conformance.servers import ServerProcess
from kv_firestore.store import FirestoreStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_killed_emulator_then_restarted(
    firestore_emulator: ServerProcess, grpc_events_of_closed_loops: None, root: str
) -> None:
    store = kv.connect(f"firestore://demo-test/{root}?command_timeout=3")
    assert isinstance(store, FirestoreStore)
    acknowledged: list[int] = []
    failures: list[BaseException] = []
    stop = asyncio.Event()

    async def worker(first: int) -> None:
        i = first
        while not stop.is_set():
            try:
                await store.put(f"k{i}", {"i": i}, collection="work")
                acknowledged.append(i)
            except (kv.StoreConnectionError, kv.StoreTimeoutError) as error:
                failures.append(error)
                await asyncio.sleep(0.02)
            except Exception as error:  # anything else fails the test
                failures.append(error)
                raise
            i += 4

    tasks = [asyncio.create_task(worker(n)) for n in range(4)]  # writes in flight at the kill

    async def until(condition: Callable[[], bool], within: float = 60) -> None:
        deadline = time.monotonic() + within
        while not condition():
            assert not all(task.done() for task in tasks), failures  # a worker died
            assert time.monotonic() < deadline, "no progress"
            await asyncio.sleep(0.01)

    try:
        await until(lambda: len(acknowledged) >= 50)
        await anyio.to_thread.run_sync(firestore_emulator.kill)
        await until(lambda: len(failures) >= 4)
        started = time.monotonic()
        with pytest.raises(kv.StoreConnectionError):
            await store.get("k0", collection="work")
        assert time.monotonic() - started < 20, "a call while down must end near its timeout"
        written_before = len(acknowledged)
        await anyio.to_thread.run_sync(firestore_emulator.start)
        await until(lambda: len(acknowledged) >= written_before + 50)
    finally:
        stop.set()
        await asyncio.gather(*tasks)

    # Down, the emulator refuses connections: StoreConnectionError. Around the restart
    # a busy machine's fresh JVM may answer its first calls late: StoreTimeoutError.
    kinds = {type(error) for error in failures}
    assert kinds <= {kv.StoreConnectionError, kv.StoreTimeoutError}, failures
    assert kv.StoreConnectionError in kinds
    # The same store object reads back what it wrote after the restart.
    last = acknowledged[-1]
    assert await store.get(f"k{last}", collection="work") == {"i": last}
    await store.close()
