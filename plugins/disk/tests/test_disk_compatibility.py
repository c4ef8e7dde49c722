"""``disk://`` and py-key-value's DiskStore / MultiDiskStore read each other's data.

py-key-value-aio (a test dependency) writes real directories with diskcache;
kv reads them back: values, remaining TTLs, keys and collections, including a
value of 32 KiB and more, which diskcache keeps in a text file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import pytest
from key_value.aio.stores.disk import DiskStore as PyKVDiskStore
from key_value.aio.stores.disk import MultiDiskStore as PyKVMultiDiskStore

import kv
from kv_disk.store import DiskStore

pytestmark = pytest.mark.anyio

BIG = {"text": "x" * 40_000}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def value_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.val"))


async def test_kv_reads_what_py_key_value_disk_store_wrote(tmp_path: Path) -> None:
    theirs = PyKVDiskStore(directory=tmp_path)
    await theirs.put("alice", {"name": "Alice"}, collection="users", ttl=600)
    await theirs.put("bob", {"name": "Bob", "tags": ["a", 1, None]}, collection="users")
    await theirs.put("big", BIG, collection="users")
    await theirs.put("default", {"d": True})
    await theirs.put("gone", {"v": 0}, collection="users", ttl=0.1)
    await theirs.put("one", {"n": 1}, collection="other-collection")
    await theirs.close()
    await anyio.sleep(0.2)  # "gone" expires
    assert len(value_files(tmp_path)) == 1  # the big value is a text file (diskcache mode 3)

    store = kv.connect(f"disk://{tmp_path}")
    try:
        value, remaining = await store.ttl("alice", collection="users")
        assert value == {"name": "Alice"}
        assert remaining is not None
        assert 590 < remaining <= 600
        assert await store.get("bob", collection="users") == {
            "name": "Bob",
            "tags": ["a", 1, None],
        }
        assert await store.ttl("bob", collection="users") == (
            {"name": "Bob", "tags": ["a", 1, None]},
            None,
        )
        assert await store.get("big", collection="users") == BIG
        assert await store.get("default") == {"d": True}
        assert await store.get("gone", collection="users") is None
        assert sorted(await store.keys("users")) == ["alice", "big", "bob"]  # type: ignore[attr-defined]
        assert await store.collections() == [  # type: ignore[attr-defined]
            "default_collection",
            "other-collection",
            "users",
        ]
        # Replacing and deleting py-key-value's file-backed value removes its file.
        await store.put("big", {"small": 1}, collection="users")
        assert value_files(tmp_path) == []
        assert await store.get("big", collection="users") == {"small": 1}
    finally:
        await store.close()


async def test_deleting_a_file_backed_value_removes_the_file(tmp_path: Path) -> None:
    theirs = PyKVDiskStore(directory=tmp_path)
    await theirs.put("big", BIG, collection="c")
    await theirs.put("big2", BIG, collection="c")
    await theirs.close()
    assert len(value_files(tmp_path)) == 2
    store = kv.connect(f"disk://{tmp_path}")
    assert await store.delete("big", collection="c") is True
    assert len(value_files(tmp_path)) == 1
    assert await store.destroy_collection("c") is True  # type: ignore[attr-defined]
    assert value_files(tmp_path) == []
    await store.close()


async def test_py_key_value_disk_store_reads_what_kv_wrote(tmp_path: Path) -> None:
    store = kv.connect(f"disk://{tmp_path}")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=600)
    await store.put("bob", {"name": "Bob"}, collection="users")
    await store.put("big", BIG, collection="users")
    await store.close()

    theirs = PyKVDiskStore(directory=tmp_path)
    try:
        value, remaining = await theirs.ttl("alice", collection="users")
        assert value == {"name": "Alice"}
        assert remaining is not None
        assert 590 < remaining <= 600
        assert await theirs.get("bob", collection="users") == {"name": "Bob"}
        assert await theirs.get("big", collection="users") == BIG
        assert await theirs.delete("bob", collection="users") is True
    finally:
        await theirs.close()


async def test_kv_reads_what_py_key_value_multi_disk_store_wrote(tmp_path: Path) -> None:
    theirs = PyKVMultiDiskStore(base_directory=tmp_path)
    await theirs.put("alice", {"name": "Alice"}, collection="users", ttl=600)
    await theirs.put("bob", {"name": "Bob"}, collection="users")
    await theirs.put("k", {"v": 1}, collection="sessions_v2")
    await theirs.close()

    store = kv.connect(f"disk://{tmp_path}?layout=per-collection")
    try:
        value, remaining = await store.ttl("alice", collection="users")
        assert value == {"name": "Alice"}
        assert remaining is not None
        assert 590 < remaining <= 600
        assert await store.get("k", collection="sessions_v2") == {"v": 1}
        assert sorted(await store.keys("users")) == ["alice", "bob"]  # type: ignore[attr-defined]
        assert await store.collections() == ["sessions_v2", "users"]  # type: ignore[attr-defined]
    finally:
        await store.close()


async def test_py_key_value_multi_disk_store_reads_what_kv_wrote(tmp_path: Path) -> None:
    store = kv.connect(f"disk://{tmp_path}?layout=per-collection")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=600)
    await store.put("k", {"v": 1}, collection="sessions_v2")
    await store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sessions_v2", "users"]

    theirs = PyKVMultiDiskStore(base_directory=tmp_path)
    try:
        value, remaining = await theirs.ttl("alice", collection="users")
        assert value == {"name": "Alice"}
        assert remaining is not None
        assert remaining > 590
        assert await theirs.get("k", collection="sessions_v2") == {"v": 1}
    finally:
        await theirs.close()


async def test_expiry_is_diskcaches_expire_time(tmp_path: Path) -> None:
    """The row's expire_time decides, as in py-key-value (it replaces the document's)."""
    store = kv.connect(f"disk://{tmp_path}")
    assert isinstance(store, DiskStore)
    await store.put("k", {"v": 1}, ttl=600)
    raw = sqlite3.connect(tmp_path / "cache.db")
    with raw:
        raw.execute("UPDATE Cache SET expire_time = expire_time + 3000")
    raw.close()
    _, remaining = await store.ttl("k")
    assert remaining is not None
    assert 3590 < remaining <= 3600
    await store.close()
