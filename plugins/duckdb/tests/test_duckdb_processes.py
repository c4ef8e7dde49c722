"""DuckDB lets one process open a database file at a time; stores in one process share it.

:class:`kv_conformance.processes.ExclusiveProcessTests` runs real writer
processes on one ``duckdb://`` file: no write that returned is lost.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import anyio.to_thread
import pytest

import kv
from kv_conformance.processes import DEADLINE, ExclusiveProcessTests, Writer
from kv_duckdb.store import DuckDBStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestDuckDBProcesses(ExclusiveProcessTests):
    """Two writer processes on one DuckDB file."""

    store_class = DuckDBStore

    def url(self, tmp_path: Path) -> str:
        return f"duckdb://{tmp_path}/kv.duckdb"


async def test_stores_in_one_process_share_the_file(tmp_path: Path) -> None:
    """DuckDB shares one database instance per file within a process."""
    first = DuckDBStore(tmp_path / "kv.duckdb")
    second = DuckDBStore(tmp_path / "kv.duckdb", lock_timeout=0.2)
    try:
        await first.put("k", {"v": 1})
        assert await second.get("k") == {"v": 1}
        await second.put_many(["a", "b"], [{"v": 2}, {"v": 3}])
        assert await first.get_many(["a", "b"]) == [{"v": 2}, {"v": 3}]
    finally:
        await first.close()
        await second.close()


HOLD_RAW_DATABASE = """
import sys
import duckdb
connection = duckdb.connect(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
connection.close()
"""


async def test_a_process_outside_kv_holding_the_file_is_waited_for(tmp_path: Path) -> None:
    """DuckDB's own lock, held by a duckdb user that is not kv: wait, or fail clearly."""
    path = tmp_path / "kv.duckdb"
    holder = Writer([sys.executable, "-c", HOLD_RAW_DATABASE, str(path)])
    try:
        holder.wait_for("held")
        store = DuckDBStore(path, lock_timeout=0.3)
        with pytest.raises(kv.StoreTimeoutError) as caught:
            await store.put("k", {"v": 1})
        assert "locked by another process" in str(caught.value)
        waiting = DuckDBStore(path, lock_timeout=DEADLINE)
        async with anyio.create_task_group() as group:
            group.start_soon(waiting.put, "k", {"v": 2})
            await anyio.to_thread.run_sync(holder.signal)  # the holder lets go
        code, output = holder.finish()
        assert code == 0, output
        assert await waiting.get("k") == {"v": 2}
        await waiting.close()
    finally:
        holder.kill()
