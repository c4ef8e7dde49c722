"""ClickHouse (chDB) lets one process open a directory, and runs once per process.

:class:`kv_conformance.processes.ExclusiveProcessTests` runs real writer
processes on one ``chdb://`` directory (fewer writes: chDB is slower per put).
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import anyio.to_thread
import pytest

import kv
from kv_chdb.store import ChDBStore
from kv_conformance.processes import DEADLINE, ExclusiveProcessTests, Writer

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestChDBProcesses(ExclusiveProcessTests):
    """Two writer processes on one chDB directory (a slower engine: fewer writes)."""

    store_class = ChDBStore
    locked_count = 200
    kill_after = 100

    def url(self, tmp_path: Path) -> str:
        return f"chdb://{tmp_path}/db"


async def test_stores_on_one_path_share_the_process_server(tmp_path: Path) -> None:
    first = ChDBStore(tmp_path / "db")
    second = ChDBStore(tmp_path / "db", table="other")
    try:
        await first.put("k", {"v": 1})
        await second.put("k", {"v": 2})
        assert await first.get("k") == {"v": 1}
        assert await second.get("k") == {"v": 2}
    finally:
        await first.close()
        await second.close()


async def test_a_store_on_another_path_is_told_why(tmp_path: Path) -> None:
    """chDB runs one embedded ClickHouse per process, on one path."""
    first = ChDBStore(tmp_path / "one")
    second = ChDBStore(tmp_path / "two")
    try:
        await first.put("k", {"v": 1})
        with pytest.raises(kv.StoreSetupError) as caught:
            await second.get("k")
        assert "one embedded ClickHouse per process" in str(caught.value)
        await first.close()
        await second.put("k", {"v": 2})  # usable once the first is closed
        assert await second.get("k") == {"v": 2}
    finally:
        await first.close()
        await second.close()


HOLD_RAW_SESSION = """
import sys
from chdb.session import Session
session = Session(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
session.close()
"""


async def test_a_process_outside_kv_holding_clickhouse_is_waited_for(tmp_path: Path) -> None:
    """ClickHouse's own lock, held by a chDB user that is not kv: wait, or fail clearly."""
    path = tmp_path / "db"
    holder = Writer([sys.executable, "-c", HOLD_RAW_SESSION, str(path)])
    try:
        holder.wait_for("held")
        store = ChDBStore(path, lock_timeout=0.3)
        with pytest.raises(kv.StoreTimeoutError) as caught:
            await store.put("k", {"v": 1})
        assert "locked by another process" in str(caught.value)
        waiting = ChDBStore(path, lock_timeout=DEADLINE)
        async with anyio.create_task_group() as group:
            group.start_soon(waiting.put, "k", {"v": 2})
            await anyio.to_thread.run_sync(holder.signal)  # the holder lets go
        code, output = holder.finish()
        assert code == 0, output
        assert await waiting.get("k") == {"v": 2}
        await waiting.close()
    finally:
        holder.kill()
