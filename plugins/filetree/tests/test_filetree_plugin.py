"""What is special about ``file://`` beyond the conformance suite: discovery,
URL forms and options, the layout on disk, atomic writes, damaged files,
culling and the bounded sweep."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

import kv
from kv import registry
from kv.names import encode_path_segment
from kv.plugin import StorePlugin
from kv_filetree import FILETREE_CAPABILITIES
from kv_filetree.store import FileTreeStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    store = kv.connect(f"file://{tmp_path}/tree")
    assert isinstance(store, FileTreeStore)
    yield store
    await store.close()


def entry_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*.json") if path.is_file())


# --- discovery -----------------------------------------------------------------------


def test_scheme_resolves_through_the_entry_point() -> None:
    plugin = registry.resolve("file")
    assert isinstance(plugin, StorePlugin)
    assert plugin.store == "kv_filetree.store:FileTreeStore"
    assert plugin.options is FileTreeStore.Options
    assert plugin.capabilities is FILETREE_CAPABILITIES
    assert registry.origin("file") == "kv-filetree"
    assert FileTreeStore.capabilities is FILETREE_CAPABILITIES
    assert FILETREE_CAPABILITIES.persistent
    assert not FILETREE_CAPABILITIES.native_ttl


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_filetree.plugin
        from kv import registry
        registry.resolve("file")
        registry.plugins()
        print("kv_filetree.store" in sys.modules, "kv_filetree.tree" in sys.modules)
        import kv_filetree
        kv_filetree.FileTreeStore
        print("kv_filetree.store" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.splitlines() == ["False False", "True"]


def test_package_exports_lazily() -> None:
    import kv_filetree

    assert kv_filetree.FileTreeStore is FileTreeStore
    with pytest.raises(AttributeError):
        _ = kv_filetree.NoSuchName


# --- URL forms and options -------------------------------------------------------------


def test_absolute_and_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = kv.connect(f"file://{tmp_path}/abs")
    assert isinstance(store, FileTreeStore)
    assert store.options.directory == str(tmp_path / "abs")
    monkeypatch.chdir(tmp_path)
    relative = kv.connect("file://sub/dir")
    assert isinstance(relative, FileTreeStore)
    assert relative.options.directory == str(tmp_path / "sub" / "dir")
    assert repr(relative) == f"<FileTreeStore directory={str(tmp_path / 'sub' / 'dir')!r}>"


def test_options_from_query_and_keywords(tmp_path: Path) -> None:
    store = kv.connect(
        f"file://{tmp_path}?fsync=false&default_collection=app&sweep_interval=5&sweep_limit=9"
    )
    assert isinstance(store, FileTreeStore)
    assert (store.options.fsync, store.default_collection) == (False, "app")
    assert (store.sweep_interval, store.sweep_limit) == (5.0, 9)
    keyword = kv.connect(f"file://{tmp_path}?fsync=false", fsync=True)
    assert isinstance(keyword, FileTreeStore)
    assert keyword.options.fsync is True


@pytest.mark.parametrize(
    "options",
    [{"fsync": "maybe"}, {"unknown": 1}, {"default_collection": ""}, {"sweep_limit": 0}],
)
def test_bad_options_are_invalid_option_errors(tmp_path: Path, options: dict[str, Any]) -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect(f"file://{tmp_path}", **options)


@pytest.mark.parametrize("url", ["file://", "file://?fsync=true", "file://user:pw@host/dir"])
def test_url_without_a_usable_path_is_refused(url: str) -> None:
    with pytest.raises(kv.InvalidURLError) as caught:
        kv.connect(url)
    assert "pw" not in str(caught.value)


def test_constructor_checks_its_arguments() -> None:
    with pytest.raises(kv.InvalidOptionError):
        FileTreeStore("")
    with pytest.raises(kv.InvalidOptionError):
        FileTreeStore("a\x00b")
    with pytest.raises(kv.InvalidOptionError):
        FileTreeStore("dir", fsync=1)  # type: ignore[arg-type]


def test_windows_drive_path_loses_its_leading_slash() -> None:
    store = FileTreeStore.from_url(kv.StoreURL.parse("file:///C:/data"))
    assert store.options.directory.endswith("C:/data")


# --- the layout on disk -------------------------------------------------------------------


async def test_nothing_is_created_before_first_use(tmp_path: Path) -> None:
    store = kv.connect(f"file://{tmp_path}/lazy")
    assert not (tmp_path / "lazy").exists()
    await store.put("k", {"v": 1})
    assert (tmp_path / "lazy" / "default_collection" / "k.json").is_file()
    await store.close()


async def test_documents_are_indented_and_keep_the_original_names(
    store: FileTreeStore,
) -> None:
    await store.put("alice", {"name": "Alice", "tags": ["x"]}, collection="users", ttl=60)
    path = Path(store.options.directory) / "users" / "alice.json"
    text = path.read_text(encoding="utf-8")
    assert text.startswith('{\n  "collection": "users",\n')
    assert '\n  "value": {\n    "name": "Alice",' in text
    document = json.loads(text)
    assert sorted(document) == ["collection", "created_at", "expires_at", "key", "value", "version"]
    assert document["key"] == "alice"
    assert document["value"] == {"name": "Alice", "tags": ["x"]}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_names_are_encoded_and_long_names_hashed(store: FileTreeStore) -> None:
    root = Path(store.options.directory)
    long_key = "k" * 1500
    await store.put("a/b:c.d", {"v": 1}, collection="odd name/..")
    await store.put(long_key, {"v": 2}, collection="odd name/..")
    await store.put("日本", {"v": 3}, collection="語")
    folder = root / encode_path_segment("odd name/..")
    assert folder.name == "odd.20name.2F.2E.2E"
    assert (folder / "a.2Fb.3Ac.2Ed.json").is_file()
    hashed = [p.name for p in folder.iterdir() if p.name.startswith("~")]
    assert len(hashed) == 1
    assert len(hashed[0]) < 80
    assert sorted(await store.keys("odd name/..")) == sorted(["a/b:c.d", long_key])
    assert sorted(await store.collections()) == ["odd name/..", "語"]
    assert (
        json.loads(
            (root / encode_path_segment("語") / f"{encode_path_segment('日本')}.json").read_text()
        )["key"]
        == "日本"
    )


async def test_writes_leave_no_temporary_files(store: FileTreeStore) -> None:
    await store.put_many([f"k{i}" for i in range(50)], [{"i": i} for i in range(50)])
    for i in range(50):
        await store.put(f"k{i}", {"i": -i})
    names = os.listdir(Path(store.options.directory) / "default_collection")
    assert sorted(names) == sorted(f"k{i}.json" for i in range(50))


async def test_damaged_and_foreign_files(store: FileTreeStore) -> None:
    await store.put("bad", {"v": 1}, collection="c")
    await store.put("good", {"v": 2}, collection="c")
    folder = Path(store.options.directory) / "c"
    for content, message in [
        (b"not json", "not a JSON document"),
        (b"[1, 2]", "not a JSON document"),
        (b'{"key": "bad", "collection": "c", "value": [1]}', "not an object"),
        (b'{"key": "bad", "collection": "c"}', "no 'value'"),
        (b'{"key": "bad", "value": {}, "expires_at": "soon"}', "ISO 8601"),
        (b"\xff\xfe", "not a JSON document"),
    ]:
        (folder / "bad.json").write_bytes(content)
        with pytest.raises(kv.DeserializationError, match=message) as caught:
            await store.get("bad", collection="c")
        assert caught.value.key == "bad"
        assert await store.get("good", collection="c") == {"v": 2}
    assert await store.delete("bad", collection="c") is True
    assert not (folder / "bad.json").exists()


async def test_a_fifo_in_place_of_an_entry_does_not_hang(store: FileTreeStore) -> None:
    await store.put("good", {"v": 2}, collection="c")
    os.mkfifo(Path(store.options.directory) / "c" / "pipe.json")
    with anyio.fail_after(5), pytest.raises(kv.DeserializationError, match="regular file"):
        await store.get("pipe", collection="c")
    assert sorted(await store.keys("c")) == ["good"]
    with anyio.fail_after(5):
        await store.cull()


async def test_a_folder_in_place_of_an_entry(store: FileTreeStore) -> None:
    (Path(store.options.directory) / "c" / "dir.json").mkdir(parents=True)
    with pytest.raises(kv.DeserializationError):
        await store.get("dir", collection="c")


async def test_other_files_in_the_tree_are_ignored(store: FileTreeStore) -> None:
    root = Path(store.options.directory)
    await store.put("k", {"v": 1}, collection="c")
    (root / "c" / "notes.txt").write_text("hello")
    (root / "README").write_text("hello")
    (root / "empty").mkdir()
    assert await store.keys("c") == ["k"]
    assert await store.collections() == ["c"]
    await store.cull()
    assert (root / "c" / "notes.txt").exists()
    assert not (root / "empty").exists()  # an empty collection folder is reclaimed


# --- destroy -------------------------------------------------------------------------------


async def test_destroy_and_destroy_collection(store: FileTreeStore) -> None:
    root = Path(store.options.directory)
    await store.put("k", {"v": 1}, collection="a")
    await store.put("k", {"v": 2}, collection="b")
    (root / "keep.txt").write_text("not ours")
    assert await store.destroy_collection("a") is True
    assert not (root / "a").exists()
    assert await store.destroy_collection("a") is False
    assert await store.get("k", collection="b") == {"v": 2}
    assert await store.destroy() is True
    assert sorted(os.listdir(root)) == ["keep.txt"]
    assert await store.destroy() is False


# --- culling -------------------------------------------------------------------------------


async def test_cull_removes_expired_files_and_empty_folders(store: FileTreeStore) -> None:
    root = Path(store.options.directory)
    await store.put_many(["a", "b"], [{}, {}], collection="gone", ttl=0.1)
    await store.put_many(["a", "b"], [{}, {}], collection="mixed", ttl=0.1)
    await store.put("live", {"v": 1}, collection="mixed")
    await anyio.sleep(0.3)
    assert await store.cull() == 4
    assert not (root / "gone").exists()
    assert [p.name for p in entry_files(root)] == ["live.json"]
    assert await store.cull() == 0


async def test_cull_removes_stale_leftovers_of_crashed_writes(store: FileTreeStore) -> None:
    root = Path(store.options.directory)
    await store.put("k", {"v": 1}, collection="c")
    old = (root / "c" / ".kv-tmp-0123456789abcdef", root / ".kv-trash-0123456789abcdef")
    old[0].write_text("{}")
    old[1].mkdir()
    fresh = root / "c" / ".kv-tmp-fedcba9876543210"
    fresh.write_text("{}")
    for path in old:
        os.utime(path, (0, 0))
    await store.cull()
    assert not old[0].exists()
    assert not old[1].exists()
    assert fresh.exists()  # might be a write in progress


async def test_a_bounded_sweep_runs_during_writes(tmp_path: Path) -> None:
    store = kv.connect(f"file://{tmp_path}?sweep_interval=0.1&sweep_limit=3&fsync=false")
    await store.put_many([f"k{i}" for i in range(5)], [{}] * 5, collection="c", ttl=0.1)
    await anyio.sleep(0.3)
    await store.put("trigger", {}, collection="other")
    assert len(entry_files(tmp_path)) == 3  # 5 - 3 + 1
    await anyio.sleep(0.2)
    await store.put("trigger", {}, collection="other")
    assert [p.name for p in entry_files(tmp_path)] == ["trigger.json"]
    await store.close()


async def test_a_sweep_reads_a_bounded_number_of_files_and_resumes(tmp_path: Path) -> None:
    store = kv.connect(f"file://{tmp_path}?sweep_interval=none&fsync=false")
    assert isinstance(store, FileTreeStore)
    await store.put_many([f"live{i:03d}" for i in range(100)], [{}] * 100, collection="a")
    await store.put_many([f"old{i:03d}" for i in range(10)], [{}] * 10, collection="b", ttl=0.1)
    await anyio.sleep(0.3)
    # A sweep with limit 2 removes at most 2 files and reads at most 8, then the
    # next one continues where it stopped: the first sweeps only meet live entries.
    removed = [await store._cull(time.time(), 2) for _ in range(30)]
    assert removed[0] == 0
    assert max(removed) <= 2
    assert sum(removed) == 10
    assert [p.parent.name for p in entry_files(tmp_path)].count("b") == 0
    assert len(entry_files(tmp_path)) == 100
    await store.close()
