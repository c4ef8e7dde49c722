"""RocksDB lets one process open a database at a time: two real processes on one path.

The shared tests (:class:`kv_conformance.processes.ExclusiveProcessTests`) check
that the second process waits for the lock or fails clearly, and that no
acknowledged write is lost; here also a second store object in this process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kv
from kv_conformance.processes import ExclusiveProcessTests
from kv_rocksdb.store import RocksDBStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestRocksDBProcesses(ExclusiveProcessTests):
    """Two writer processes on one RocksDB database."""

    store_class = RocksDBStore

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
