"""TimeoutWrapper: the suite, timeouts under asyncio and trio, nothing left running."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

import kv
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance
from kv_wrappers import BaseWrapper, TimeoutWrapper


class TestTimeoutOverMemory(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = TimeoutWrapper(
            kv.connect("memory://", default_collection=default_collection), timeout=5.0
        )
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner: Any = store
        while not isinstance(inner, MemoryStore):
            inner = inner.key_value
        inner._collections[collection][key] = '{"not": "closed'
        return True


class SlowStore(BaseWrapper):
    """A memory store whose reads and writes first wait ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(kv.connect("memory://"))
        self.delay = delay
        self.started = 0
        self.finished = 0
        self.cancelled = 0

    async def _wait(self) -> None:
        self.started += 1
        try:
            await anyio.sleep(self.delay)
        except BaseException:
            self.cancelled += 1
            raise
        self.finished += 1

    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        await self._wait()
        return await super().get(key, collection=collection)

    async def put(
        self, key: str, value: Any, *, collection: str | None = None, ttl: Any = None
    ) -> None:
        await self._wait()
        await super().put(key, value, collection=collection, ttl=ttl)

    async def get_many(self, keys: Any, *, collection: str | None = None) -> list[Any]:
        await self._wait()
        return await super().get_many(keys, collection=collection)

    def _pass_iter_keys(self, collection: str | None, page_size: int | None) -> AsyncIterator[str]:
        async def walk() -> AsyncIterator[str]:
            async for key in super(SlowStore, self)._pass_iter_keys(collection, page_size):
                await self._wait()
                yield key

        return walk()


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _tasks(backend: str) -> int:
    """How many tasks are alive in the running event loop."""
    if backend == "asyncio":
        return len(asyncio.all_tasks())
    import trio

    return trio.lowlevel.current_statistics().tasks_living


@pytest.mark.anyio
async def test_a_slow_call_times_out_and_is_cancelled(anyio_backend: str) -> None:
    slow = SlowStore(delay=10)
    store = TimeoutWrapper(slow, timeout=0.1)
    tasks_before = _tasks(anyio_backend)
    started = time.monotonic()
    with pytest.raises(kv.StoreTimeoutError) as caught:
        await store.get("alice", collection="users")
    elapsed = time.monotonic() - started
    assert 0.05 < elapsed < 2.0
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.key == "alice"
    assert caught.value.collection == "users"
    assert "get did not finish within 0.1 seconds" in str(caught.value)
    # The slow call was cancelled where it waited, and nothing runs on.
    assert (slow.started, slow.cancelled, slow.finished) == (1, 1, 0)
    await anyio.sleep(0.2)
    assert slow.finished == 0
    assert _tasks(anyio_backend) == tasks_before


@pytest.mark.anyio
async def test_bulk_and_default_collection_are_named() -> None:
    store = TimeoutWrapper(SlowStore(delay=10), timeout=0.05)
    with pytest.raises(kv.StoreTimeoutError) as caught:
        await store.get_many(["a", "b", "c"])
    assert "get_many of 3 keys" in str(caught.value)
    assert "may still" not in str(caught.value), "a read has nothing left to happen"
    assert caught.value.collection == "default_collection"
    with pytest.raises(kv.StoreTimeoutError) as put_caught:
        await store.put("k", {"v": 1}, collection="c")
    assert put_caught.value.key == "k"
    assert "abandoned, not undone: it may still take effect" in str(put_caught.value)


@pytest.mark.anyio
async def test_fast_calls_are_untouched() -> None:
    slow = SlowStore(delay=0.01)
    store = TimeoutWrapper(slow, timeout=2)
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    assert slow.cancelled == 0


@pytest.mark.anyio
async def test_outer_cancellation_is_not_a_timeout() -> None:
    slow = SlowStore(delay=10)
    store = TimeoutWrapper(slow, timeout=5)
    with anyio.move_on_after(0.05) as outer:
        await store.get("k")
    assert outer.cancelled_caught
    assert slow.cancelled == 1


@pytest.mark.anyio
async def test_timeout_error_of_the_wrapped_store_passes_unchanged() -> None:
    class Failing(BaseWrapper):
        async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
            raise kv.StoreTimeoutError("the server said so", key=key)

    store = TimeoutWrapper(Failing(kv.connect("memory://")), timeout=5)
    with pytest.raises(kv.StoreTimeoutError, match="the server said so"):
        await store.get("k")


@pytest.mark.anyio
async def test_enumeration_is_limited_per_step() -> None:
    slow = SlowStore(delay=10)
    await slow.key_value.put("a", {}, collection="c")
    store: Any = TimeoutWrapper(slow, timeout=0.05)
    with pytest.raises(kv.StoreTimeoutError) as caught:
        await store.keys("c")
    assert "keys" in str(caught.value)
    assert slow.cancelled == 1


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), "1", True])
def test_bad_timeout_is_refused(bad: Any) -> None:
    with pytest.raises(kv.InvalidOptionError):
        TimeoutWrapper(kv.connect("memory://"), timeout=bad)


# --- a store whose engine runs in a worker thread: disk:// over a locked SQLite file ---

ENGINE_LOCK_TIMEOUT = 30.0
"""How long the disk store's SQLite waits for another process's lock."""

LOCK_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")  # the write lock, until told to let go
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
connection.close()
print("released", flush=True)
"""


class LockHolder:
    """Another process holding a write transaction on an SQLite file."""

    def __init__(self, database: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LOCK_HOLDER, str(database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    async def line(self) -> str:
        assert self.process.stdout is not None
        return await anyio.to_thread.run_sync(self.process.stdout.readline)

    async def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        assert await self.line() == "released\n"


@pytest.fixture
def holders() -> Iterator[list[LockHolder]]:
    started: list[LockHolder] = []
    yield started
    for holder in started:
        if holder.process.poll() is None:
            holder.process.kill()
        holder.process.wait(timeout=30)
        for pipe in (holder.process.stdin, holder.process.stdout):
            if pipe is not None:
                pipe.close()


@pytest.mark.anyio
async def test_a_call_running_in_a_worker_thread_times_out_in_time(
    tmp_path: Path, holders: list[LockHolder]
) -> None:
    disk = kv.connect(f"disk://{tmp_path}/cache", timeout=ENGINE_LOCK_TIMEOUT)
    store = TimeoutWrapper(disk, timeout=0.5)
    await store.put("kept", {"v": 1}, collection="c")  # opens the store
    holder = LockHolder(tmp_path / "cache" / "cache.db")
    holders.append(holder)
    assert await holder.line() == "locked\n"

    started = time.monotonic()
    with pytest.raises(kv.StoreTimeoutError) as caught:
        await store.put("new", {"v": 2}, collection="c")
    elapsed = time.monotonic() - started
    assert 0.4 < elapsed < 5.0, f"a 0.5 s timeout returned after {elapsed:.2f} s"
    message = str(caught.value)
    assert "put did not finish within 0.5 seconds (gave up after" in message
    assert "may still take effect" in message
    assert caught.value.key == "new"
    assert caught.value.collection == "c"
    assert caught.value.store == "disk"

    # The abandoned put still holds the store's one engine slot: a later call
    # waits for it, and times out in time too (a read: nothing "may still" happen).
    started = time.monotonic()
    with pytest.raises(kv.StoreTimeoutError) as read_caught:
        await store.get("kept", collection="c")
    assert time.monotonic() - started < 5.0
    assert "may still" not in str(read_caught.value)

    # Without the wrapper, anyio's own deadline is honoured the same way.
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        with anyio.fail_after(0.5):
            await disk.delete("kept", collection="c")
    assert time.monotonic() - started < 5.0

    # Once the other process lets go, the abandoned put lands and nothing is lost.
    await holder.release()
    with anyio.fail_after(ENGINE_LOCK_TIMEOUT):
        assert await disk.get_many(["kept", "new"], collection="c") == [{"v": 1}, {"v": 2}]
    assert await store.get("kept", collection="c") == {"v": 1}
    await store.put("after", {"v": 3}, collection="c")
    assert sorted(await disk.keys("c")) == ["after", "kept", "new"]  # type: ignore[attr-defined]
    await store.close()
