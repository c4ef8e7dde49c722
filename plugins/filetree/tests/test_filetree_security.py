"""Path traversal and symlink escape are impossible in ``file://``.

Names are encoded into single path components, so ``..`` and ``/`` in keys
and collections stay inside the root. Symbolic links planted in the tree (a
collection folder or an entry file pointing outside) are never followed:
reading through one raises ``PathSecurityError``, listings and culls skip
them, writes replace the link itself, and nothing outside the root is read,
written or deleted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio
import pytest

import kv
from kv.errors import PathSecurityError
from kv_filetree.store import FileTreeStore

pytestmark = pytest.mark.anyio

TRAVERSALS = [
    "..",
    "../..",
    "../../outside",
    "/etc/passwd",
    "a/../../b",
    ".",
    "~",
    "./x",
    "\\..\\x",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the store, with a file that must never be touched."""
    folder = tmp_path / "outside"
    folder.mkdir()
    secret = {"collection": "c", "key": "k", "value": {"secret": True}, "version": 1}
    (folder / "k.json").write_text(json.dumps(secret))
    return folder


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    store = kv.connect(f"file://{tmp_path}/root?fsync=false")
    assert isinstance(store, FileTreeStore)
    yield store
    await store.close()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


async def test_traversal_names_stay_inside_the_root(
    store: FileTreeStore, tmp_path: Path, outside: Path
) -> None:
    before = snapshot(outside)
    for name in TRAVERSALS:
        await store.put(name, {"key": name}, collection=name)
        await store.put(name, {"key": name}, collection="c")
    for name in TRAVERSALS:
        assert await store.get(name, collection=name) == {"key": name}
    assert sorted(await store.keys("c")) == sorted(TRAVERSALS)
    assert set(TRAVERSALS) <= set(await store.collections())
    root = Path(store.options.directory)
    for path in tmp_path.rglob("*.json"):
        assert root in path.parents or outside in path.parents
    assert snapshot(outside) == before
    for name in TRAVERSALS:
        assert await store.delete(name, collection="c") is True
    assert await store.destroy() is True
    assert snapshot(outside) == before


async def test_symlinked_collection_folder_is_never_followed(
    store: FileTreeStore, outside: Path
) -> None:
    await store.put("mine", {"v": 1}, collection="own")
    root = Path(store.options.directory)
    (root / "c").symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    with pytest.raises(PathSecurityError) as caught:
        await store.get("k", collection="c")
    assert caught.value.collection == "c"
    with pytest.raises(PathSecurityError):
        await store.get_many(["k"], collection="c")
    with pytest.raises(PathSecurityError):
        await store.put("k", {"v": "overwritten"}, collection="c")
    with pytest.raises(PathSecurityError):
        await store.delete("k", collection="c")
    with pytest.raises(PathSecurityError):
        await store.destroy_collection("c")
    assert await store.keys("c") == []
    assert await store.collections() == ["own"]
    await store.put("x", {}, collection="own", ttl=0.01)
    await anyio.sleep(0.05)
    await store.cull()
    assert await store.destroy() is True
    assert snapshot(outside) == before
    assert (root / "c").is_symlink()  # the link itself is left alone


async def test_symlinked_entry_file_is_never_followed(store: FileTreeStore, outside: Path) -> None:
    await store.put("neighbour", {"v": 1}, collection="c")
    folder = Path(store.options.directory) / "c"
    (folder / "k.json").symlink_to(outside / "k.json")
    before = snapshot(outside)
    with pytest.raises(PathSecurityError) as caught:
        await store.get("k", collection="c")
    assert caught.value.key == "k"
    assert await store.keys("c") == ["neighbour"]
    await store.cull()
    assert (folder / "k.json").is_symlink()
    assert snapshot(outside) == before
    # A write replaces the link itself; the target is untouched.
    await store.put("k", {"v": "mine"}, collection="c")
    assert not (folder / "k.json").is_symlink()
    assert await store.get("k", collection="c") == {"v": "mine"}
    assert snapshot(outside) == before
    # Deleting a planted link removes the link only.
    (folder / "k.json").unlink()
    (folder / "k.json").symlink_to(outside / "k.json")
    assert await store.delete("k", collection="c") is False
    assert not (folder / "k.json").exists()
    assert snapshot(outside) == before


async def test_symlinked_root_entries_are_not_collections(
    store: FileTreeStore, outside: Path
) -> None:
    await store.put("k", {"v": 1}, collection="own")
    root = Path(store.options.directory)
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "linked-file.json").symlink_to(outside / "k.json")
    assert await store.collections() == ["own"]
    before = snapshot(outside)
    assert await store.destroy() is True
    assert snapshot(outside) == before
    assert sorted(os.listdir(root)) == ["linked", "linked-file.json"]


async def test_the_root_may_itself_be_a_link(tmp_path: Path) -> None:
    """A symlink in the root's own path is the user's choice and is followed."""
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    store = kv.connect(f"file://{tmp_path}/alias")
    await store.put("k", {"v": 1}, collection="c")
    assert (tmp_path / "real" / "c" / "k.json").is_file()
    await store.close()
