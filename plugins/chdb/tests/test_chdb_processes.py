"""ClickHouse (chDB) lets one process open a directory, and runs once per process.

:class:`kv_conformance.processes.ExclusiveProcessTests` runs real writer
processes on one ``chdb://`` directory (fewer writes: chDB is slower per put),
a chDB session outside kv holding it, and one store across successive
``asyncio.run()`` calls.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kv
from kv_chdb.store import ChDBStore
from kv_conformance.processes import ExclusiveProcessTests

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


HOLD_RAW_SESSION = """
import sys
from chdb.session import Session
session = Session(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
session.close()
"""


class TestChDBProcesses(ExclusiveProcessTests):
    """Two writer processes on one chDB directory (a slower engine: fewer writes)."""

    store_class = ChDBStore
    raw_holder = HOLD_RAW_SESSION
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
