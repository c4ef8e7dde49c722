"""Two real processes on one ``duckdb://`` path: no write that returned is lost.

DuckDB lets one process open a database file at a time. A second process waits
(up to ``lock_timeout``) for the first to close it, then writes; or, with a
short ``lock_timeout``, fails with a clear ``StoreTimeoutError`` having written
nothing. A process killed mid-run loses none of the writes that returned.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kv
from kv_duckdb.store import DuckDBStore

pytestmark = pytest.mark.anyio

WRITER = Path(__file__).with_name("duckdb_writer.py")


def start_writer(
    url: str, prefix: str, count: int, hold: float = 0.0, **options: object
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), url, prefix, str(count), str(hold), json.dumps(options)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(process: subprocess.Popen[str], wanted: str, timeout: float = 60) -> list[str]:
    """Read the process's lines until one starts with ``wanted``; return all read."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"process ended before {wanted!r}: {lines[-3:]}")
        lines.append(line.strip())
        if line.startswith(wanted):
            return lines
    raise AssertionError(f"no {wanted!r} within {timeout} s")


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout + stderr


async def read_all(url: str) -> dict[str, object]:
    store = kv.connect(url)
    assert isinstance(store, DuckDBStore)
    try:
        keys = await store.keys("shared")
        values = await store.get_many(keys, collection="shared")
        return dict(zip(keys, values))
    finally:
        await store.close()


def expected(prefix: str, count: int) -> dict[str, object]:
    return {f"{prefix}-{i:05d}": {"writer": prefix, "i": i} for i in range(count)}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_second_process_waits_for_the_first_and_both_write_1000(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path}/kv.duckdb"
    first = start_writer(url, "A", 1000, hold=0.5, lock_timeout=60)
    wait_for_line(first, "ok")  # the first process has the database open
    second = start_writer(url, "B", 1000, lock_timeout=60)
    code_a, out_a = finish(first)
    code_b, out_b = finish(second)
    assert code_a == 0, out_a
    assert code_b == 0, out_b
    assert sum(line.startswith("ok ") for line in out_b.splitlines()) == 1000
    assert await read_all(url) == {**expected("A", 1000), **expected("B", 1000)}


async def test_second_process_gets_a_clear_error_and_the_first_loses_nothing(
    tmp_path: Path,
) -> None:
    url = f"duckdb://{tmp_path}/kv.duckdb"
    first = start_writer(url, "A", 1000, hold=3.0)
    wait_for_line(first, "done")
    second = start_writer(url, "B", 10, lock_timeout=0.3)
    code_b, out_b = finish(second)
    assert code_b == 3
    assert "error StoreTimeoutError" in out_b
    assert "locked by another process" in out_b
    assert not any(line.startswith("ok ") for line in out_b.splitlines())
    code_a, out_a = finish(first)
    assert code_a == 0, out_a
    assert await read_all(url) == expected("A", 1000)


async def test_killed_process_loses_no_acknowledged_write(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path}/kv.duckdb"
    writer = start_writer(url, "K", 100_000)
    lines = wait_for_line(writer, "ok K-00300")
    writer.kill()  # SIGKILL by PID, mid-run: no close, no flush
    assert writer.stdout is not None
    lines += [line.strip() for line in writer.stdout.read().splitlines()]
    writer.wait(timeout=30)
    acknowledged = [line.split()[1] for line in lines if line.startswith("ok ")]
    assert len(acknowledged) >= 301
    stored = await read_all(url)  # the lock died with the process
    for key in acknowledged:
        assert stored[key] == {"writer": "K", "i": int(key.split("-")[1])}


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
