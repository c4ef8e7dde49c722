"""What is special about the atomic operations of ``file://`` beyond the suite.

The conformance suite's atomic section (with its two-process claim test) runs
in ``test_filetree_conformance.py``. Here: entries py-key-value wrote (kv's
own location and its legacy ones), damaged files, versions of rewritten
files, the exclusive create, and the lock file, which nothing lists or
removes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from key_value.aio.stores.filetree import FileTreeStore as PyKVFileTreeStore

import kv
from kv.entry import format_timestamp
from kv_filetree import FILETREE_CAPABILITIES
from kv_filetree.fs import open_root
from kv_filetree.lock import LOCK_NAME
from kv_filetree.store import FileTreeStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_capability_is_declared() -> None:
    assert FileTreeStore.capabilities is FILETREE_CAPABILITIES
    assert FILETREE_CAPABILITIES.atomic
    assert FILETREE_CAPABILITIES.operations() == [
        "keys",
        "collections",
        "destroy",
        "destroy_collection",
        "cull",
        "put_if_absent",
    ]


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    store = kv.connect(f"file://{tmp_path}/tree")
    assert isinstance(store, FileTreeStore)
    yield store
    await store.close()


async def test_a_py_key_value_entry_is_versioned_replaced_and_deleted(tmp_path: Path) -> None:
    theirs = PyKVFileTreeStore(data_directory=tmp_path)
    await theirs.put("carol@example.com", {"name": "Carol"}, collection="users")
    await theirs.put("alice", {"name": "Alice"}, collection="users")
    legacy = tmp_path / "users" / "carol@example.com.json"  # not kv's own file name
    assert legacy.is_file()
    store = kv.connect(f"file://{tmp_path}")
    assert isinstance(store, FileTreeStore)
    try:
        assert not await store.put_if_absent("carol@example.com", {"x": 1}, collection="users")
        found = await store.get_versioned("carol@example.com", collection="users")
        assert found is not None
        assert found.value == {"name": "Carol"}
        assert found.ttl is None
        assert await store.put_if_version(
            "carol@example.com", {"name": "Carol 2"}, found.version, collection="users"
        )
        assert await store.get("carol@example.com", collection="users") == {"name": "Carol 2"}
        again = await store.get_versioned("carol@example.com", collection="users")
        assert again is not None
        assert again.version != found.version
        assert not await store.delete_if_version(
            "carol@example.com", found.version, collection="users"
        )
        assert await store.delete_if_version("carol@example.com", again.version, collection="users")
        # py-key-value's file went with kv's, so it does not show through.
        assert not legacy.exists()
        assert await store.get("carol@example.com", collection="users") is None
        # A name both layouts share: py-key-value's file is kv's own.
        alice = await store.get_versioned("alice", collection="users")
        assert alice is not None
        assert alice.value == {"name": "Alice"}
        assert await store.delete_if_version("alice", alice.version, collection="users")
        assert not (tmp_path / "users" / "alice.json").exists()
    finally:
        await store.close()


async def test_an_expired_entry_in_a_legacy_location_counts_as_absent(tmp_path: Path) -> None:
    folder = tmp_path / "users"
    folder.mkdir()
    past = time.time() - 60
    legacy = folder / "carol@example.com.json"
    legacy.write_text(
        json.dumps(
            {
                "value": {"name": "old"},
                "created_at": format_timestamp(past - 60),
                "expires_at": format_timestamp(past),
                "version": 1,
            }
        ),
        encoding="utf-8",
    )
    store = kv.connect(f"file://{tmp_path}")
    assert isinstance(store, FileTreeStore)
    try:
        assert await store.get_versioned("carol@example.com", collection="users") is None
        assert await store.put_if_absent(
            "carol@example.com", {"name": "new"}, collection="users", ttl=100
        )
        found = await store.get_versioned("carol@example.com", collection="users")
        assert found is not None
        assert found.value == {"name": "new"}
        assert found.ttl is not None
        assert 90 <= found.ttl <= 100
        assert not await store.put_if_absent(
            "carol@example.com", {"name": "newer"}, collection="users"
        )
    finally:
        await store.close()


async def test_a_damaged_file_is_a_clear_error_until_a_plain_put_replaces_it(
    store: FileTreeStore,
) -> None:
    await store.put("bad", {"v": 1}, collection="c")
    before = await store.get_versioned("bad", collection="c")
    assert before is not None
    path = Path(store.options.directory) / "c" / "bad.json"
    path.write_bytes(b'{"not": "closed')
    with pytest.raises(kv.DeserializationError, match="not a JSON document") as caught:
        await store.get_versioned("bad", collection="c")
    assert caught.value.key == "bad"
    with pytest.raises(kv.DeserializationError) as caught:
        await store.put_if_absent("bad", {"v": 2}, collection="c")
    assert caught.value.key == "bad"
    with pytest.raises(kv.DeserializationError):
        await store.put_if_version("bad", {"v": 2}, before.version, collection="c")
    with pytest.raises(kv.DeserializationError):
        await store.delete_if_version("bad", before.version, collection="c")
    assert path.read_bytes() == b'{"not": "closed'  # nothing written over it
    no_value = b'{"key": "bad", "collection": "c", "created_at": "2025-01-01T00:00:00+00:00"}'
    path.write_bytes(no_value)  # JSON, without a value
    with pytest.raises(kv.DeserializationError, match="no 'value'") as caught:
        await store.put_if_absent("bad", {"v": 2}, collection="c")
    assert caught.value.key == "bad"
    assert path.read_bytes() == no_value
    await store.put("bad", {"v": 3}, collection="c")
    after = await store.get_versioned("bad", collection="c")
    assert after is not None
    assert after.value == {"v": 3}
    assert after.version != before.version


async def test_every_write_changes_the_version_even_of_the_same_value(
    store: FileTreeStore,
) -> None:
    await store.put("k", {"v": 1}, collection="c")
    versions = set()
    for _ in range(20):
        found = await store.get_versioned("k", collection="c")
        assert found is not None
        versions.add(found.version)
        await store.put("k", {"v": 1}, collection="c")
    assert len(versions) == 20
    stale = await store.get_versioned("k", collection="c")
    assert stale is not None
    await store.put_many(["k"], [{"v": 1}], collection="c")
    assert not await store.put_if_version("k", {"v": 2}, stale.version, collection="c")
    assert not await store.delete_if_version("k", stale.version, collection="c")
    assert await store.get("k", collection="c") == {"v": 1}


async def test_the_lock_file_is_never_listed_or_removed(store: FileTreeStore) -> None:
    root = Path(store.options.directory)
    await store.put("plain", {"v": 0}, collection="c")
    await store.cull()
    assert not (root / LOCK_NAME).exists()  # plain use makes no lock file
    assert await store.put_if_absent("k", {"v": 1}, collection="c")
    assert (root / LOCK_NAME).is_file()
    assert await store.collections() == ["c"]
    assert await store.keys("c") == ["k", "plain"]
    await store.cull()
    assert (root / LOCK_NAME).is_file()
    assert await store.destroy()
    assert (root / LOCK_NAME).is_file()
    assert await store.collections() == []
    assert sorted(path.name for path in root.rglob("*")) == [LOCK_NAME]
    # ... and the store keeps working with it.
    assert await store.put_if_absent("k", {"v": 2}, collection="c")
    assert not await store.put_if_absent("k", {"v": 3}, collection="c")
    assert sorted(path.name for path in (root / "c").iterdir()) == ["k.json"]


async def test_a_symlink_in_place_of_the_lock_file_is_refused(
    store: FileTreeStore, tmp_path: Path
) -> None:
    root = Path(store.options.directory)
    root.mkdir(parents=True)
    target = tmp_path / "elsewhere"
    (root / LOCK_NAME).symlink_to(target)
    with pytest.raises(kv.StoreError, match="Cannot lock"):
        await store.put_if_absent("k", {"v": 1}, collection="c")
    assert not target.exists()


def test_the_exclusive_create_never_replaces_a_file(tmp_path: Path) -> None:
    with open_root(str(tmp_path)) as root:
        assert root.create("entry.json", b"first", fsync=False)
        assert not root.create("entry.json", b"second", fsync=False)
    assert (tmp_path / "entry.json").read_bytes() == b"first"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["entry.json"]
