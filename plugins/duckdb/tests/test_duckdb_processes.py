"""DuckDB lets one process open a database file at a time; stores in one process share it.

:class:`kv_conformance.processes.ExclusiveProcessTests` runs real writer
processes on one ``duckdb://`` file (no write that returned is lost), a
holder outside kv (a plain duckdb connection) that the store waits for, and
one store across successive event loops.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kv_conformance.processes import ExclusiveProcessTests
from kv_duckdb.store import DuckDBStore

pytestmark = pytest.mark.anyio

HOLD_RAW_DATABASE = """
import sys
import duckdb
connection = duckdb.connect(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
connection.close()
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestDuckDBProcesses(ExclusiveProcessTests):
    """Two writer processes on one DuckDB file."""

    store_class = DuckDBStore
    raw_holder = HOLD_RAW_DATABASE

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
