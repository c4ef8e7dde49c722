"""disk:// runs point calls on the event loop, and never waits for a lock there."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import anyio
import pytest

import kv
from kv_disk.store import DiskStore

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_write_that_finds_the_database_locked_waits_off_the_event_loop(
    tmp_path: Path,
) -> None:
    store = kv.connect(f"disk://{tmp_path}", timeout=60, sweep_interval=None)
    assert isinstance(store, DiskStore)
    await store.put("k", {"v": 1})
    holder = sqlite3.connect(tmp_path / "cache.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another connection holds the write lock
    longest_gap = 0.0
    beats = 0
    written = anyio.Event()

    async def heartbeat() -> None:
        nonlocal longest_gap, beats
        last = time.monotonic()
        while not written.is_set():
            await anyio.sleep(0.005)
            now = time.monotonic()
            longest_gap = max(longest_gap, now - last)
            last = now
            beats += 1

    async def write() -> None:
        await store.put("k", {"v": 2})
        written.set()

    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            group.start_soon(heartbeat)
            group.start_soon(write)
            # The loop keeps beating while the put waits for the lock in the thread.
            while beats < 20:
                await anyio.sleep(0.005)
            assert not written.is_set()
            holder.execute("COMMIT")
    holder.close()
    # Blocked inline, the loop would have stood still until the 60 s busy timeout.
    assert longest_gap < 10
    assert await store.get("k") == {"v": 2}
    await store.close()


async def test_point_calls_run_inline_and_the_budget_can_turn_it_off(tmp_path: Path) -> None:
    fast = kv.connect(f"disk://{tmp_path}/a", sweep_interval=None)
    off = kv.connect(f"disk://{tmp_path}/b", sweep_interval=None, inline_budget=None)
    assert isinstance(fast, DiskStore)
    assert isinstance(off, DiskStore)
    for store in (fast, off):
        await store.put("k", {"v": 1})
        assert await store.get("k") == {"v": 1}
    assert fast._calls.longest_inline > 0
    assert off._calls.longest_inline == 0
    assert off.options.inline_budget is None
    await fast.close()
    await off.close()
