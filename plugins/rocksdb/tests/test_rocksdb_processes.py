"""RocksDB lets one process open a database at a time: two real processes on one path.

The shared tests (:class:`kv_conformance.processes.ExclusiveProcessTests`) check
that the second process waits for the lock or fails clearly, that no
acknowledged write is lost, that a rocksdict user outside kv is waited for, and
one store across successive ``asyncio.run()`` calls; here also a second store
object in this process.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import kv
from kv_conformance.processes import ExclusiveProcessTests, Writer
from kv_rocksdb.store import RocksDBStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


HOLD_RAW_DATABASE = """
import sys
from rocksdict import Options, Rdict
options = Options()
options.create_if_missing(True)
db = Rdict(sys.argv[1], options=options)
print("held", flush=True)
sys.stdin.readline()
db.close()
"""


class TestRocksDBProcesses(ExclusiveProcessTests):
    """Two writer processes on one RocksDB database."""

    store_class = RocksDBStore
    raw_holder = HOLD_RAW_DATABASE

    def url(self, tmp_path: Path) -> str:
        return f"rocksdb://{tmp_path}/db"


async def test_second_store_in_the_same_process_is_told_so(tmp_path: Path) -> None:
    first = RocksDBStore(tmp_path / "db")
    second = RocksDBStore(tmp_path / "db", lock_timeout=0.2)
    try:
        await first.put("k", {"v": 1})
        with pytest.raises(kv.StoreTimeoutError) as caught:
            await second.get("k")
        assert "another store object in this process" in str(caught.value)
        await first.close()
        assert await second.get("k") == {"v": 1}  # usable once the first is closed
    finally:
        await first.close()
        await second.close()


async def test_stores_of_one_process_hold_kv_lock_together(tmp_path: Path) -> None:
    """kv's lock file is taken once per process and released with the last store."""
    from kv import dirlock

    path = tmp_path / "db"
    first = RocksDBStore(path)
    await first.put("k", {"v": 1})
    assert (path / dirlock.LOCK_FILE).exists()
    probe = Writer([sys.executable, "-c", PROBE_LOCK_FILE, str(path / dirlock.LOCK_FILE)])
    assert probe.finish()[0] == 1  # held: another process cannot take it
    await first.close()
    probe = Writer([sys.executable, "-c", PROBE_LOCK_FILE, str(path / dirlock.LOCK_FILE)])
    assert probe.finish()[0] == 0  # released with the store


PROBE_LOCK_FILE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
"""
