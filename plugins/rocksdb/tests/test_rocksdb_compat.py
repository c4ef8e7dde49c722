"""py-key-value's RocksDBStore and kv-rocksdb read each other's databases."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import pytest

import kv
from kv_rocksdb.store import RocksDBStore

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning"),
]

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from key_value.aio.stores.rocksdb import RocksDBStore as PyKeyValueRocksDBStore


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_kv_reads_what_py_key_value_wrote(tmp_path: Path) -> None:
    theirs = PyKeyValueRocksDBStore(path=tmp_path / "db")
    async with theirs:
        await theirs.put("alice", {"name": "Alice", "n": [1, 2]}, collection="users")
        await theirs.put("bob", {"name": "Bob"}, collection="users", ttl=3600)
        await theirs.put_many(["x", "y"], [{"v": 1}, {"v": 2}])
        await theirs.put("gone", {"v": 0}, collection="users", ttl=0.01)
    time.sleep(0.05)  # past "gone"'s expiry however fast the next calls run

    async with RocksDBStore(tmp_path / "db") as ours:
        assert await ours.get("alice", collection="users") == {"name": "Alice", "n": [1, 2]}
        value, remaining = await ours.ttl("bob", collection="users")
        assert value == {"name": "Bob"}
        assert remaining is not None
        assert 3500 < remaining <= 3600
        assert await ours.get_many(["x", "y"]) == [{"v": 1}, {"v": 2}]
        assert await ours.get("gone", collection="users") is None
        assert await ours.keys("users") == ["alice", "bob"]
        assert await ours.collections() == ["default_collection", "users"]
        assert await ours.cull() == 1
        await ours.put("carol", {"name": "Carol"}, collection="users")


async def test_py_key_value_reads_what_kv_wrote(tmp_path: Path) -> None:
    ours = kv.connect(f"rocksdb://{tmp_path}/db")
    await ours.put("alice", {"name": "Alice"}, collection="users", ttl=3600)
    await ours.put_many(["x", "y"], [{"v": 1}, {"v": 2}])
    await ours.close()  # type: ignore[attr-defined]

    theirs = PyKeyValueRocksDBStore(path=tmp_path / "db")
    async with theirs:
        value, remaining = await theirs.ttl("alice", collection="users")
        assert value == {"name": "Alice"}
        assert remaining is not None
        assert 3500 < remaining <= 3600
        assert await theirs.get_many(["x", "y"]) == [{"v": 1}, {"v": 2}]
