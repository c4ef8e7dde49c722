"""What is special about ``disk://`` beyond the conformance suite: discovery,
URL forms and options, the diskcache file format, eviction, culling."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import diskcache  # type: ignore[import-untyped]
import pytest

import kv
from kv import registry
from kv.plugin import StorePlugin
from kv_disk import DISK_CAPABILITIES
from kv_disk.store import DiskStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def rows(database: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    raw = sqlite3.connect(database)
    try:
        return list(raw.execute(sql, params))
    finally:
        raw.close()


# --- discovery -----------------------------------------------------------------------


def test_scheme_resolves_through_the_entry_point() -> None:
    plugin = registry.resolve("disk")
    assert isinstance(plugin, StorePlugin)
    assert plugin.store == "kv_disk.store:DiskStore"
    assert plugin.options is DiskStore.Options
    assert plugin.capabilities is DISK_CAPABILITIES
    assert registry.origin("disk") == "kv-disk"


def test_capabilities_are_declared_once() -> None:
    assert DiskStore.capabilities is DISK_CAPABILITIES
    assert DISK_CAPABILITIES.persistent
    assert not DISK_CAPABILITIES.bounded
    assert DISK_CAPABILITIES.operations() == [
        "keys",
        "collections",
        "destroy",
        "destroy_collection",
        "cull",
        "put_if_absent",
    ]


def test_plugin_module_is_light() -> None:
    """Resolving the scheme imports neither the store, sqlite3 nor diskcache."""
    code = textwrap.dedent(
        """
        import sys
        import kv_disk.plugin
        from kv import registry
        registry.resolve("disk")
        registry.plugins()
        heavy = ("kv_disk.store", "sqlite3", "_sqlite3", "diskcache")
        print(",".join(sorted(name for name in heavy if name in sys.modules)))
        import kv_disk
        kv_disk.DiskStore
        print("kv_disk.store" in sys.modules, "diskcache" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.splitlines() == ["", "True False"]


def test_package_exports_lazily() -> None:
    import kv_disk

    assert kv_disk.DiskStore is DiskStore
    with pytest.raises(AttributeError):
        _ = kv_disk.NoSuchName


# --- URL forms and options -------------------------------------------------------------


def test_absolute_and_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = kv.connect(f"disk://{tmp_path}/abs")
    assert isinstance(store, DiskStore)
    assert store.options.directory == str(tmp_path / "abs")
    monkeypatch.chdir(tmp_path)
    relative = kv.connect("disk://sub/dir")
    assert isinstance(relative, DiskStore)
    assert relative.options.directory == str(tmp_path / "sub" / "dir")


async def test_nothing_is_created_before_first_use(tmp_path: Path) -> None:
    store = kv.connect(f"disk://{tmp_path}/lazy")
    assert not (tmp_path / "lazy").exists()
    await store.put("k", {"v": 1})
    assert (tmp_path / "lazy" / "cache.db").is_file()
    await store.close()


def test_options_from_query_and_keywords(tmp_path: Path) -> None:
    store = kv.connect(
        f"disk://{tmp_path}?layout=per-collection&max_size=100000&timeout=2.5"
        "&default_collection=app&sweep_interval=none&sweep_limit=7"
    )
    assert isinstance(store, DiskStore)
    assert (store.options.layout, store.options.max_size, store.options.timeout) == (
        "per-collection",
        100000,
        2.5,
    )
    assert store.default_collection == "app"
    assert (store.sweep_interval, store.sweep_limit) == (None, 7)
    keyword = kv.connect(f"disk://{tmp_path}?max_size=5", max_size=None, layout="single")
    assert isinstance(keyword, DiskStore)
    assert (keyword.options.layout, keyword.options.max_size) == ("single", None)


def test_bounded_only_with_a_size_limit(tmp_path: Path) -> None:
    plain = DiskStore(tmp_path)
    bounded = DiskStore(tmp_path, max_size=10_000)
    assert not plain.capabilities.bounded
    assert bounded.capabilities.bounded
    assert DiskStore.capabilities is DISK_CAPABILITIES
    assert "max_size=10000" in repr(bounded)


@pytest.mark.parametrize(
    "options",
    [
        {"layout": "nested"},
        {"max_size": 0},
        {"max_size": -1},
        {"max_size": True},
        {"timeout": -1},
        {"timeout": float("nan")},
        {"unknown": 1},
        {"default_collection": ""},
        {"sweep_interval": 0},
        {"sweep_limit": 0},
    ],
)
def test_bad_options_are_invalid_option_errors(tmp_path: Path, options: dict[str, Any]) -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect(f"disk://{tmp_path}", **options)


@pytest.mark.parametrize("query", ["layout=x", "max_size=big", "max_size=0", "timeout=soon"])
def test_bad_query_values_are_invalid_option_errors(tmp_path: Path, query: str) -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect(f"disk://{tmp_path}?{query}")


@pytest.mark.parametrize("url", ["disk://", "disk://?layout=single", "disk://user:pw@host/dir"])
def test_url_without_a_usable_path_is_refused(url: str) -> None:
    with pytest.raises(kv.InvalidURLError) as caught:
        kv.connect(url)
    assert "pw" not in str(caught.value)


def test_constructor_checks_the_directory() -> None:
    with pytest.raises(kv.InvalidOptionError):
        DiskStore("")
    with pytest.raises(kv.InvalidOptionError):
        DiskStore("a\x00b")


def test_windows_drive_path_loses_its_leading_slash() -> None:
    store = DiskStore.from_url(kv.StoreURL.parse("disk:///C:/cache"))
    assert store.options.directory.endswith("C:/cache")


async def test_a_file_that_is_not_a_database_is_a_setup_error(tmp_path: Path) -> None:
    (tmp_path / "cache.db").write_bytes(b"this is not sqlite" * 100)
    store = kv.connect(f"disk://{tmp_path}")
    with pytest.raises(kv.StoreSetupError):
        await store.get("k")
    await store.close()


# --- the diskcache format ------------------------------------------------------------------


async def test_schema_is_diskcaches(tmp_path: Path) -> None:
    """kv creates the tables, indexes, triggers and settings diskcache creates."""
    store = kv.connect(f"disk://{tmp_path}/kv")
    await store.put("k", {"v": 1})
    await store.close()
    diskcache.Cache(str(tmp_path / "dc"), eviction_policy="none").close()
    schema = "SELECT type, name, tbl_name FROM sqlite_master ORDER BY name"
    assert rows(tmp_path / "kv" / "cache.db", schema) == rows(tmp_path / "dc" / "cache.db", schema)
    settings = "SELECT key FROM Settings ORDER BY key"
    assert rows(tmp_path / "kv" / "cache.db", settings) == rows(
        tmp_path / "dc" / "cache.db", settings
    )
    assert rows(tmp_path / "kv" / "cache.db", "PRAGMA journal_mode") == [("wal",)]
    assert rows(tmp_path / "kv" / "cache.db", "PRAGMA auto_vacuum") == [(1,)]


async def test_rows_are_raw_text_as_diskcache_writes_them(tmp_path: Path) -> None:
    store = kv.connect(f"disk://{tmp_path}")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=100)
    await store.put("bob", {"name": "Bob"}, collection="users")
    await store.close()
    found = rows(
        tmp_path / "cache.db",
        "SELECT key, typeof(key), raw, mode, filename, typeof(value), expire_time IS NULL,"
        " size FROM Cache ORDER BY key",
    )
    assert found == [
        ("users::alice", "text", 1, 1, None, "text", 0, 0),
        ("users::bob", "text", 1, 1, None, "text", 1, 0),
    ]
    (count,) = rows(tmp_path / "cache.db", "SELECT value FROM Settings WHERE key = 'count'")[0]
    assert count == 2


async def test_diskcache_reads_and_checks_what_kv_wrote(tmp_path: Path) -> None:
    store = kv.connect(f"disk://{tmp_path}")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=100)
    await store.put_many(["a", "b"], [{"i": 1}, {"i": 2}], collection="c")
    await store.delete("a", collection="c")
    await store.close()
    with diskcache.Cache(str(tmp_path)) as cache:
        document, expire_time = cache.get("users::alice", expire_time=True)
        assert '"value":{"name":"Alice"}' in document
        assert expire_time is not None
        assert cache.get("c::b") is not None
        assert cache.get("c::a") is None
        assert len(cache) == 2
        assert cache.check() == []  # counts, sizes and files consistent


# --- eviction ------------------------------------------------------------------------------


async def test_size_limit_evicts_least_recently_stored(tmp_path: Path) -> None:
    limit = 200_000
    store = kv.connect(f"disk://{tmp_path}?max_size={limit}")
    assert isinstance(store, DiskStore)
    keys = [f"key-{i:05d}" for i in range(2000)]
    for start in range(0, len(keys), 100):
        chunk = keys[start : start + 100]
        await store.put_many(chunk, [{"pad": "x" * 400, "k": k} for k in chunk])
    await store.put("last", {"v": 1})
    assert await store.get("key-00000") is None
    assert await store.get("key-01999") is not None
    assert await store.get("last") == {"v": 1}
    kept = await store.keys()
    assert 100 < len(kept) < 1000
    assert sorted(kept)[-1] == "last"
    await store.close()
    with diskcache.Cache(str(tmp_path)) as cache:
        assert cache.volume() <= limit + 8192
        assert cache.eviction_policy == "least-recently-stored"
        assert cache.size_limit == limit


async def test_a_value_larger_than_the_limit_is_kept_until_the_next_write(tmp_path: Path) -> None:
    store = kv.connect(f"disk://{tmp_path}?max_size=60000")
    await store.put("old", {"v": 1})
    await store.put("huge", {"x": "y" * 100_000})
    assert await store.get("huge") == {"x": "y" * 100_000}
    assert await store.get("old") is None
    await store.put("next", {"v": 2})
    assert await store.get("huge") is None
    assert await store.get("next") == {"v": 2}
    await store.close()


# --- culling -------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["single", "per-collection"])
async def test_cull_deletes_expired_rows(tmp_path: Path, layout: str) -> None:
    store = kv.connect(f"disk://{tmp_path}?layout={layout}&sweep_interval=none")
    assert isinstance(store, DiskStore)
    for collection in ("a", "b"):
        await store.put_many(["x", "y"], [{}, {}], collection=collection, ttl=0.2)
        await store.put("live", {"v": 1}, collection=collection)
    await kv_sleep(0.4)
    assert await store.cull() == 4
    assert await store.cull() == 0
    assert await store.get("live", collection="b") == {"v": 1}
    databases = list(tmp_path.rglob("cache.db"))
    assert sum(rows(db, "SELECT count(*) FROM Cache")[0][0] for db in databases) == 2
    await store.close()


async def test_writes_sweep_expired_rows(tmp_path: Path) -> None:
    store = kv.connect(f"disk://{tmp_path}?sweep_interval=0.1&sweep_limit=3")
    await store.put_many([f"k{i}" for i in range(5)], [{}] * 5, ttl=0.1)
    await kv_sleep(0.3)
    await store.put("trigger", {})
    assert rows(tmp_path / "cache.db", "SELECT count(*) FROM Cache")[0][0] == 3  # 5 - 3 + 1
    await kv_sleep(0.2)
    await store.put("trigger", {})
    assert rows(tmp_path / "cache.db", "SELECT count(*) FROM Cache")[0][0] == 1
    await store.close()


async def test_delete_removes_expired_rows_and_reports_them_absent(tmp_path: Path) -> None:
    store = kv.connect(f"disk://{tmp_path}")
    await store.put("gone", {}, ttl=0.1)
    await kv_sleep(0.3)
    assert await store.delete("gone") is False
    assert rows(tmp_path / "cache.db", "SELECT count(*) FROM Cache")[0][0] == 0
    await store.close()


# --- names -----------------------------------------------------------------------------------


async def test_long_collection_names_are_hashed_folders(tmp_path: Path) -> None:
    store = kv.connect(f"disk://{tmp_path}?layout=per-collection")
    long_name = "c/" * 300
    await store.put("k", {"v": 1}, collection=long_name)
    await store.put("k", {"v": 2}, collection="plain-name_1")
    folders = sorted(p.name for p in tmp_path.iterdir())
    assert "plain-name_1" in folders
    assert any(name.startswith("~") for name in folders)
    assert sorted(await store.collections()) == sorted([long_name, "plain-name_1"])  # type: ignore[attr-defined]
    assert await store.get("k", collection=long_name) == {"v": 1}
    await store.close()


async def test_collections_skip_rows_kv_did_not_write(tmp_path: Path) -> None:
    with diskcache.Cache(str(tmp_path)) as cache:
        cache.set(("tuple", "key"), 1)  # a pickled key
        cache.set(b"bytes::key", "x")
        cache.set("no-separator", "x")
        cache.set(7, "x")
    store = kv.connect(f"disk://{tmp_path}")
    await store.put("k", {"v": 1}, collection="mine")
    assert await store.collections() == ["mine"]  # type: ignore[attr-defined]
    assert await store.keys("mine") == ["k"]  # type: ignore[attr-defined]
    assert await store.get("no-separator") is None
    await store.close()


async def kv_sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)
