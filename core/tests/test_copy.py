"""``kv copy``'s engine and command: TTLs kept, expired entries skipped,
checkpointed batches, resuming, and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner

import kv
from kv import registry
from kv.commands.app import cli
from kv.commands.checkpoint import Checkpoint, default_path
from kv.commands.copier import BatchDone, copy_entries, group_by_ttl, source_collections

pytestmark = pytest.mark.anyio

needs_disk_and_sqlite = pytest.mark.skipif(
    not {"disk", "sqlite"} <= {info.scheme for info in registry.plugins() if info.plugin},
    reason="needs kv-disk and kv-sqlite",
)


def test_a_batch_is_grouped_by_ttl_within_the_tolerance() -> None:
    found = [
        ("forever", ({"n": 1}, None)),
        ("gone", (None, None)),  # expired (or deleted) between listing and reading
        ("b", ({"n": 2}, 12.4)),
        ("a", ({"n": 3}, 12.0)),
        ("c", ({"n": 4}, 13.5)),
        ("d", ({"n": 5}, 3600.0)),
    ]
    groups, expired = group_by_ttl(found, tolerance=1.0)
    assert expired == 1
    assert groups == [
        (None, ["forever"], [{"n": 1}]),
        (12.0, ["a", "b"], [{"n": 3}, {"n": 2}]),  # the shortest TTL: never longer
        (13.5, ["c"], [{"n": 4}]),
        (3600.0, ["d"], [{"n": 5}]),
    ]
    exact, _ = group_by_ttl(found, tolerance=0.0)
    assert [ttl for ttl, _, _ in exact] == [None, 12.0, 12.4, 13.5, 3600.0]


async def _source() -> kv.Store:
    source = kv.connect("memory://")
    await source.put_many(
        [f"k{i:03d}" for i in range(250)], [{"i": i} for i in range(250)], collection="plain"
    )
    await source.put("twelve", {"t": 12}, collection="timed", ttl=12)
    await source.put("hour", {"t": 3600}, collection="timed", ttl=3600)
    return source


async def _entries(store: kv.AsyncKeyValue, collection: str) -> dict[str, object]:
    assert isinstance(store, kv.EnumerateKeys)
    keys = await store.keys(collection)
    return dict(zip(keys, await store.get_many(keys, collection=collection)))


async def test_copy_keeps_values_and_remaining_ttls(tmp_path: Path) -> None:
    source, destination = await _source(), kv.connect("memory://")
    checkpoint = Checkpoint(tmp_path / "c.json", "memory://", "memory://", None)
    batches: list[BatchDone] = []
    report = await copy_entries(
        source,
        destination,
        checkpoint,
        collections=await source_collections(source, "memory://"),
        batch_size=100,
        on_batch=batches.append,
    )
    assert (report.copied, report.expired, report.collections) == (252, 0, ["plain", "timed"])
    assert [(done.collection, done.copied) for done in batches] == [
        ("plain", 100),
        ("plain", 100),
        ("plain", 50),
        ("timed", 2),
    ]
    assert await _entries(destination, "plain") == await _entries(source, "plain")
    value, remaining = await destination.ttl("twelve", collection="timed")
    assert value == {"t": 12}
    assert remaining is not None
    assert 10 < remaining <= 12
    _, hour = await destination.ttl("hour", collection="timed")
    assert hour is not None
    assert 3590 < hour <= 3600
    _, forever = await destination.ttl("k000", collection="plain")
    assert forever is None
    saved = json.loads((tmp_path / "c.json").read_text())
    assert saved["collections"]["plain"] == {
        "last_key": "k249",
        "done": True,
        "copied": 250,
        "expired": 0,
    }


class Interrupted(Exception):
    """Stands for Ctrl-C after some batches."""


async def test_an_interrupted_copy_resumes_after_its_last_checkpointed_key(
    tmp_path: Path,
) -> None:
    source, destination = await _source(), kv.connect("memory://")
    path = tmp_path / "c.json"

    def stop_after_two(done: BatchDone) -> None:
        if done.progress.copied == 200:
            raise Interrupted

    with pytest.raises(Interrupted):
        await copy_entries(
            source,
            destination,
            Checkpoint.open(path, "src", "dst", None),
            collections=["plain", "timed"],
            batch_size=100,
            on_batch=stop_after_two,
        )
    assert len(await _entries(destination, "plain")) == 200
    resumed = Checkpoint.open(path, "src", "dst", None)
    assert resumed.progress("plain").last_key == "k199"
    written: list[str] = []
    report = await copy_entries(
        source,
        destination,
        resumed,
        collections=["plain", "timed"],
        batch_size=100,
        on_batch=lambda done: written.append(done.collection),
    )
    assert report.copied == 52  # the last 50 of plain, and timed: nothing twice
    assert written == ["plain", "timed"]
    assert report.restarted == []
    assert await _entries(destination, "plain") == await _entries(source, "plain")


async def test_a_resume_whose_key_was_deleted_copies_the_collection_again(tmp_path: Path) -> None:
    source, destination = await _source(), kv.connect("memory://")
    checkpoint = Checkpoint(tmp_path / "c.json", "src", "dst", ["plain"])
    checkpoint.progress("plain").last_key = "deleted-meanwhile"
    report = await copy_entries(source, destination, checkpoint, collections=["plain"])
    assert report.restarted == ["plain"]
    assert report.copied == 250
    # Killed after the last batch, before "done" was saved: nothing is copied again.
    checkpoint.progress("plain").done = False
    again = await copy_entries(source, destination, checkpoint, collections=["plain"])
    assert (again.copied, again.restarted) == (0, [])


async def test_a_source_that_cannot_list_is_refused() -> None:
    with pytest.raises(kv.UnsupportedOperationError, match="name them with --collection"):
        await source_collections(kv.connect("null://"), "null://")
    with pytest.raises(kv.UnsupportedOperationError, match="cannot list its keys"):
        await copy_entries(
            kv.connect("null://"),
            kv.connect("memory://"),
            Checkpoint(Path("unused.json"), "a", "b", None),
            collections=["c"],
        )


def test_the_command_says_when_the_source_cannot_list(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["copy", "null://", "memory://", "--checkpoint", str(tmp_path / "c.json")]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: This store cannot list its collections")
    assert "--collection" in result.stderr
    result = CliRunner().invoke(
        cli, ["copy", "null://", "memory://", "-c", "x", "--checkpoint", str(tmp_path / "c.json")]
    )
    assert result.exit_code == 1
    assert "cannot list its keys" in result.stderr


def test_a_checkpoint_of_another_copy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    Checkpoint(path, "disk:///a", "disk:///b", None).save()
    result = CliRunner().invoke(cli, ["copy", "memory://", "memory://", "--checkpoint", str(path)])
    assert result.exit_code == 2
    assert "belongs to the copy from disk:///a to disk:///b" in result.stderr
    assert "--checkpoint" in result.stderr
    path.write_text("[1, 2]")
    result = CliRunner().invoke(cli, ["copy", "memory://", "memory://", "--checkpoint", str(path)])
    assert result.exit_code == 2
    assert "is not a kv copy checkpoint" in result.stderr


def test_the_default_checkpoint_is_in_the_cache_folder_and_names_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    masked = kv.StoreURL.parse("redis://u:hunter2@h/0").render()
    path = default_path(masked, "memory://", None)
    assert path.parent == tmp_path / "kv" / "copy"
    assert path != default_path(masked, "memory://", ["users"])
    Checkpoint(path, masked, "memory://", None).save()
    assert "hunter2" not in path.read_text()


@needs_disk_and_sqlite
def test_the_command_copies_with_a_progress_bar_and_a_summary(tmp_path: Path) -> None:
    source = f"disk://{tmp_path}/source"

    async def fill() -> None:
        async with kv.connect(source) as store:
            await store.put_many(["a", "b\nc"], [{"n": 1}, {"n": 2}], collection="users", ttl=600)

    anyio.run(fill)
    checkpoint = tmp_path / "c.json"
    destination = f"sqlite://{tmp_path}/destination.db"
    args = ["copy", source, destination, "--checkpoint", str(checkpoint), "--progress", "bar"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert '"users"' in result.stderr  # the bar's row of the collection
    assert "2 copied" in result.stderr
    assert result.stdout.startswith("copied 2 entries, skipped 0 expired, 1 collections, ")
    assert not checkpoint.exists()
    result = CliRunner().invoke(cli, ["ttl", destination, "b\nc", "-c", "users"])
    assert result.exit_code == 0
    ttl = json.loads(result.stdout)["ttl"]
    assert 590 < ttl <= 600


FLAKY_PLUGIN = """
from kv.plugin import StorePlugin
from kv.stores.memory import MEMORY_CAPABILITIES, MemoryOptions

FLAKY = StorePlugin(
    store="flakykv.store:FlakyStore",
    options=MemoryOptions,
    capabilities=MEMORY_CAPABILITIES,
    description="fails its third put_many",
)
"""

FLAKY_STORE = """
from kv.errors import StoreConnectionError
from kv.stores.memory import MemoryStore


class FlakyStore(MemoryStore):
    calls = 0

    async def put_many(self, keys, values, **options):
        FlakyStore.calls += 1
        if FlakyStore.calls == 3:
            raise StoreConnectionError("connection lost", store="flaky")
        await super().put_many(keys, values, **options)
"""


@needs_disk_and_sqlite
def test_a_failed_copy_says_its_checkpoint_keeps_the_progress(tmp_path: Path) -> None:
    site = tmp_path / "site"
    info = site / "kv_flaky-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kv-flaky\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[kv.stores]\nflaky = flakykv.plugin:FLAKY\n")
    (site / "flakykv").mkdir()
    (site / "flakykv" / "__init__.py").write_text("")
    (site / "flakykv" / "plugin.py").write_text(FLAKY_PLUGIN)
    (site / "flakykv" / "store.py").write_text(FLAKY_STORE)
    source = f"disk://{tmp_path}/source"

    async def fill() -> None:
        async with kv.connect(source) as store:
            await store.put_many([f"k{i}" for i in range(5)], [{"i": i} for i in range(5)])

    anyio.run(fill)
    checkpoint = tmp_path / "c.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kv.cli",
            "copy",
            source,
            "flaky://",
            "--batch-size",
            "1",
            "--checkpoint",
            str(checkpoint),
            "--progress",
            "none",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: connection lost (collection=")
    assert f"the checkpoint {checkpoint} keeps the progress" in result.stderr
    saved = json.loads(checkpoint.read_text())
    (progress,) = saved["collections"].values()
    assert progress["copied"] == 2
    assert not progress["done"]


@needs_disk_and_sqlite
def test_the_command_moves_what_py_key_value_wrote(tmp_path: Path) -> None:
    disk = pytest.importorskip("key_value.aio.stores.disk")

    async def write() -> None:
        theirs = disk.DiskStore(directory=tmp_path / "pykv")
        await theirs.put("alice", {"name": "Alice"}, collection="users", ttl=600)
        await theirs.put("bob", {"name": "Bob"}, collection="users")
        await theirs.put("one", {"n": 1}, collection="other")
        await theirs.close()

    anyio.run(write)
    destination = f"sqlite://{tmp_path}/kv.db"
    args = ["copy", f"disk://{tmp_path}/pykv", destination, "--checkpoint", str(tmp_path / "c")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("copied 3 entries, skipped 0 expired, 2 collections")

    async def read() -> None:
        async with kv.connect(destination) as store:
            value, remaining = await store.ttl("alice", collection="users")
            assert value == {"name": "Alice"}
            assert remaining is not None
            assert 590 < remaining <= 600
            assert await store.ttl("bob", collection="users") == ({"name": "Bob"}, None)
            assert await store.get("one", collection="other") == {"n": 1}

    anyio.run(read)
