"""py-key-value's DuckDBStore and kv-duckdb read each other's tables."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import kv
from kv_duckdb.store import DuckDBStore

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning"),
]

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from key_value.aio.stores.duckdb import DuckDBStore as PyKeyValueDuckDBStore


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_kv_reads_what_py_key_value_wrote(tmp_path: Path) -> None:
    path = tmp_path / "kv.duckdb"
    theirs = PyKeyValueDuckDBStore(database_path=path)
    async with theirs:
        await theirs.put("alice", {"name": "Alice", "n": [1, 2]}, collection="users")
        await theirs.put("bob", {"name": "Bob"}, collection="users", ttl=3600)
        await theirs.put("gone", {"v": 0}, collection="users", ttl=0.01)
        await theirs.put("x", {"v": 1})

    async with DuckDBStore(path) as ours:
        assert await ours.get("alice", collection="users") == {"name": "Alice", "n": [1, 2]}
        value, remaining = await ours.ttl("bob", collection="users")
        assert value == {"name": "Bob"}
        assert remaining is not None
        assert 3500 < remaining <= 3600
        assert await ours.get("x") == {"v": 1}
        assert await ours.get("gone", collection="users") is None
        assert await ours.keys("users") == ["alice", "bob"]
        assert await ours.collections() == ["default_collection", "users"]
        assert await ours.cull() == 1
        await ours.put("carol", {"name": "Carol"}, collection="users")  # same table


async def test_py_key_value_reads_what_kv_wrote(tmp_path: Path) -> None:
    path = tmp_path / "kv.duckdb"
    ours = kv.connect(f"duckdb://{path}")
    await ours.put("alice", {"name": "Alice"}, collection="users", ttl=3600)
    await ours.put_many(["x", "y"], [{"v": 1}, {"v": [1, "a"]}])
    await ours.close()  # type: ignore[attr-defined]

    theirs = PyKeyValueDuckDBStore(database_path=path)
    async with theirs:
        value, remaining = await theirs.ttl("alice", collection="users")
        assert value == {"name": "Alice"}
        assert remaining is not None
        assert 3500 < remaining <= 3600
        assert await theirs.get_many(["x", "y"]) == [{"v": 1}, {"v": [1, "a"]}]
