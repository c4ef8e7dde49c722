"""disk:// runs point calls on the event loop, and never waits for a lock there."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import anyio
import pytest

import kv
from kv_disk.cachefile import _CHECKPOINT_ROWS
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


async def test_the_wal_is_checkpointed_by_kv_in_the_thread_never_on_the_loop(
    tmp_path: Path,
) -> None:
    store = kv.connect(f"disk://{tmp_path}", sweep_interval=None)
    assert isinstance(store, DiskStore)
    await store.put("k", {"v": 0})
    layout = store._layout
    assert layout is not None
    connection = layout.cache.connection  # type: ignore[attr-defined]
    loop_thread = threading.get_ident()
    checkpoints: list[int] = []

    def trace(statement: str) -> None:
        if "wal_checkpoint" in statement:
            checkpoints.append(threading.get_ident())

    connection.set_trace_callback(trace)
    wal = tmp_path / "cache.db-wal"
    sizes = []
    for batch in range(3):
        for number in range(3 * _CHECKPOINT_ROWS):
            await store.put(f"k{number}", {"v": batch})
        sizes.append(wal.stat().st_size)
    connection.set_trace_callback(None)
    assert store._calls.longest_inline > 0  # the other writes ran inline
    assert len(checkpoints) >= 6
    assert loop_thread not in checkpoints
    # Checkpointed, the WAL is written again from its start: it does not grow.
    assert sizes[2] <= sizes[0] * 1.5
    assert await store.get("k1") == {"v": 2}
    await store.close()


async def test_one_delete_reports_whether_a_live_entry_went(tmp_path: Path) -> None:
    store = kv.connect(f"disk://{tmp_path}", sweep_interval=None)
    await store.put("live", {"v": 1})
    await store.put("gone", {"v": 1}, ttl=60)
    layout = store._layout  # type: ignore[attr-defined]
    layout.cache.connection.execute("UPDATE Cache SET expire_time = 1 WHERE key LIKE '%gone'")
    assert await store.delete("live") is True
    assert await store.delete("live") is False
    assert await store.delete("gone") is False  # expired: deleted, but not live
    assert await store.delete_many(["live", "gone", "never"]) == 0
    rows = layout.cache.connection.execute("SELECT count(*) FROM Cache").fetchone()[0]
    assert rows == 0
    await store.close()
