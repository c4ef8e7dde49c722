"""What is special about ``rocksdb://`` beyond the conformance suite.

Discovery and the light plugin module, URL forms and options, the on-disk
layout, refusal of pickled values, reclaiming expired entries (cull and the
bounded sweep), ordered enumeration, and databases kv cannot use.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from rocksdict import Options, Rdict

import kv
from kv import registry
from kv.names import compound_key
from kv.plugin import StorePlugin
from kv_rocksdb import ROCKSDB_CAPABILITIES
from kv_rocksdb.store import RocksDBStore

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[RocksDBStore]:
    store = kv.connect(f"rocksdb://{db_path}")
    assert isinstance(store, RocksDBStore)
    yield store
    await store.close()


def raw_items(path: Path) -> dict[Any, Any]:
    """Every key and value in the database, read with plain rocksdict (no kv)."""
    raw = Rdict(str(path))
    try:
        return dict(raw.items())
    finally:
        raw.close()


# --- discovery -------------------------------------------------------------------


def test_scheme_resolves_through_the_entry_point() -> None:
    plugin = registry.resolve("rocksdb")
    assert isinstance(plugin, StorePlugin)
    assert plugin.store == "kv_rocksdb.store:RocksDBStore"
    assert plugin.options is RocksDBStore.Options
    assert plugin.capabilities == ROCKSDB_CAPABILITIES
    assert registry.origin("rocksdb") == "kv-rocksdb"


def test_store_class_and_plugin_declare_the_same_capabilities() -> None:
    assert RocksDBStore.capabilities is ROCKSDB_CAPABILITIES
    assert ROCKSDB_CAPABILITIES.persistent
    assert not ROCKSDB_CAPABILITIES.native_ttl
    assert ROCKSDB_CAPABILITIES.operations() == [
        "keys",
        "collections",
        "destroy",
        "destroy_collection",
        "cull",
        "put_if_absent",
    ]


def test_plugin_module_is_light() -> None:
    """Listing and resolving plugins imports neither the store module nor rocksdict."""
    code = textwrap.dedent(
        """
        import sys
        import kv_rocksdb.plugin
        import kv_rocksdb
        from kv import registry
        registry.resolve("rocksdb")
        registry.plugins()
        heavy = sorted(n for n in ("kv_rocksdb.store", "rocksdict") if n in sys.modules)
        print(",".join(heavy))
        kv_rocksdb.RocksDBStore
        print("kv_rocksdb.store" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.splitlines() == ["", "True"]


# --- URL forms and options -----------------------------------------------------------


async def test_directory_is_created_on_first_use_only(db_path: Path) -> None:
    store = kv.connect(f"rocksdb://{db_path}")
    assert not db_path.exists()  # connect() does not touch the disk
    try:
        await store.put("k", {"v": 1})
        assert (db_path / "CURRENT").is_file()
    finally:
        await store.close()  # type: ignore[attr-defined]


async def test_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = kv.connect("rocksdb://sub/db")
    assert isinstance(store, RocksDBStore)
    assert store.options.path == "sub/db"
    try:
        await store.put("k", {"v": 1})
    finally:
        await store.close()
    assert (tmp_path / "sub" / "db" / "CURRENT").is_file()


def test_options_from_query_and_keywords(db_path: Path) -> None:
    store = kv.connect(
        f"rocksdb://{db_path}?lock_timeout=2.5&sync=true&default_collection=app&sweep_limit=7"
    )
    assert isinstance(store, RocksDBStore)
    assert store.options.lock_timeout == 2.5
    assert store.options.sync is True
    assert store.default_collection == "app"
    assert store.sweep_limit == 7
    overridden = kv.connect(f"rocksdb://{db_path}?lock_timeout=2.5", lock_timeout=9)
    assert isinstance(overridden, RocksDBStore)
    assert overridden.options.lock_timeout == 9.0
    assert repr(store) == f"<RocksDBStore path={str(db_path)!r}>"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("rocksdb://", kv.InvalidURLError),
        ("rocksdb://user:secret@host/db", kv.InvalidURLError),
        ("rocksdb:///tmp/x?lock_timeout=-1", kv.InvalidOptionError),
        ("rocksdb:///tmp/x?lock_timeout=inf", kv.InvalidOptionError),
        ("rocksdb:///tmp/x?sync=maybe", kv.InvalidOptionError),
        ("rocksdb:///tmp/x?table=t", kv.InvalidOptionError),
        ("rocksdb:///tmp/x?sweep_interval=0", kv.InvalidOptionError),
    ],
)
def test_bad_urls_and_options(url: str, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        kv.connect(url)
    assert "secret" not in str(caught.value)


def test_constructor_validates_too(tmp_path: Path) -> None:
    with pytest.raises(kv.InvalidOptionError):
        RocksDBStore("")
    with pytest.raises(kv.InvalidOptionError):
        RocksDBStore(tmp_path, lock_timeout="soon")
    with pytest.raises(kv.InvalidOptionError):
        RocksDBStore(tmp_path, sync=1)  # type: ignore[arg-type]


async def test_sync_writes_work(db_path: Path) -> None:
    async with RocksDBStore(db_path, sync=True) as store:
        await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}])
        assert await store.get_many(["a", "b"]) == [{"v": 1}, {"v": 2}]


# --- layout ----------------------------------------------------------------------------


async def test_layout_is_compound_key_to_json_document(store: RocksDBStore, db_path: Path) -> None:
    await store.put("alice", {"name": "Alice"}, collection="users")
    await store.put("k", {"v": 1}, collection="a::b", ttl=3600)
    await store.close()
    items = raw_items(db_path)
    assert set(items) == {"users::alice", "a%3A%3Ab::k"}
    document = json.loads(items["users::alice"])
    assert document["collection"] == "users"
    assert document["key"] == "alice"
    assert document["value"] == {"name": "Alice"}
    assert document["version"] == 1
    assert "expires_at" not in document
    assert "expires_at" in json.loads(items["a%3A%3Ab::k"])


async def test_collection_and_key_never_share_storage(store: RocksDBStore) -> None:
    await store.put("c", {"v": "first"}, collection="a::b")
    await store.put("b::c", {"v": "second"}, collection="a")
    assert await store.get("c", collection="a::b") == {"v": "first"}
    assert await store.get("b::c", collection="a") == {"v": "second"}


async def test_put_many_is_one_write_batch(store: RocksDBStore, db_path: Path) -> None:
    """A write batch takes one sequence number per key, all applied together."""
    await store.put("first", {"v": 0})
    db = store._db
    assert db is not None
    before = db.latest_sequence_number()
    keys = [f"k{i}" for i in range(100)]
    await store.put_many(keys, [{"i": i} for i in range(100)])
    assert db.latest_sequence_number() == before + 100
    assert await store.delete_many([*keys[:50], "missing"]) == 50
    assert db.latest_sequence_number() == before + 150


# --- no pickle -------------------------------------------------------------------------


class _Trap:
    """Unpickling this creates a file: the proof that pickle ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path(self.marker).touch, ())


async def test_pickled_value_is_refused_and_never_loaded(
    store: RocksDBStore, db_path: Path, tmp_path: Path
) -> None:
    await store.put("fine", {"v": 1}, collection="c")
    await store.close()
    marker = tmp_path / "pickle-ran"
    raw = Rdict(str(db_path))
    try:
        raw[compound_key("c", "evil")] = _Trap(str(marker))  # rocksdict pickles objects
    finally:
        raw.close()
    assert not marker.exists()
    with pytest.raises(kv.DeserializationError) as caught:
        await store.get("evil", collection="c")
    assert "evil" in str(caught.value)
    assert "pickle" in str(caught.value)
    with pytest.raises(kv.DeserializationError):
        await store.get_many(["fine", "evil"], collection="c")
    with pytest.raises(kv.DeserializationError):
        await store.ttl("evil", collection="c")
    assert sorted(await store.keys("c")) == ["evil", "fine"]
    assert await store.cull() == 0
    assert await store.delete("evil", collection="c") is True
    assert not marker.exists()
    assert await store.get("fine", collection="c") == {"v": 1}
    assert pickle.dumps(1)  # pickle itself is fine; kv just never loads stored pickles


async def test_non_document_values_are_deserialization_errors(
    store: RocksDBStore, db_path: Path
) -> None:
    await store.put("x", {"v": 1}, collection="c")
    await store.close()
    raw = Rdict(str(db_path))
    try:
        raw[compound_key("c", "number")] = 42
        raw[compound_key("c", "list")] = b"[1, 2]"
        raw[compound_key("c", "novalue")] = b'{"version": 1}'
    finally:
        raw.close()
    for key in ("number", "list", "novalue"):
        with pytest.raises(kv.DeserializationError) as caught:
            await store.get(key, collection="c")
        assert key in str(caught.value)
    assert await store.get("x", collection="c") == {"v": 1}


# --- expiry: cull and the bounded sweep --------------------------------------------------


async def test_cull_removes_expired_entries_from_disk(db_path: Path) -> None:
    store = RocksDBStore(db_path)
    store.configure_sweep(interval=None)
    try:
        keys = [f"e{i}" for i in range(2000)]
        await store.put_many(keys, [{"i": 1}] * len(keys), collection="t", ttl=0.5)
        await store.put("live", {"v": 1}, collection="t")
        await store.put("later", {"v": 2}, collection="t", ttl=3600)
        await anyio.sleep(0.8)
        assert await store.get("e1", collection="t") is None  # hidden before the cull
        assert await store.cull() == 2000
        assert await store.cull() == 0
    finally:
        await store.close()
    assert set(raw_items(db_path)) == {"t::live", "t::later"}


async def test_bounded_sweep_during_writes(db_path: Path) -> None:
    store = RocksDBStore(db_path)
    store.configure_sweep(interval=0.05, limit=40)
    try:
        keys = [f"e{i:03d}" for i in range(100)]
        await store.put_many(keys, [{}] * len(keys), collection="t", ttl=0.2)
        await anyio.sleep(0.4)
        await store.put("w1", {}, collection="t")  # sweeps at most 40
        await anyio.sleep(0.1)
        await store.put("w2", {}, collection="t")  # the next 40, from where it stopped
        await anyio.sleep(0.1)
        await store.put("w3", {}, collection="t")  # the last 20
    finally:
        await store.close()
    assert sorted(raw_items(db_path)) == ["t::w1", "t::w2", "t::w3"]


async def test_sweep_removes_at_most_its_limit(db_path: Path) -> None:
    store = RocksDBStore(db_path)
    store.configure_sweep(interval=3600, limit=25)
    try:
        await store.put_many([f"e{i}" for i in range(60)], [{}] * 60, collection="t", ttl=0.2)
        await anyio.sleep(0.4)
        store._next_sweep = 0.0
        await store.put("w", {}, collection="t")
    finally:
        await store.close()
    assert len(raw_items(db_path)) == 60 - 25 + 1


# --- enumeration ---------------------------------------------------------------------------


async def test_keys_are_ordered_and_paginated(store: RocksDBStore) -> None:
    keys = ["b", "a", "c::d", "é", "\x00", "Z", "a\x00", "😀"]
    await store.put_many(keys, [{}] * len(keys), collection="c")
    assert await store.keys("c") == sorted(keys)  # UTF-8 byte order = code point order
    walked = [key async for key in store.iter_keys("c", page_size=3)]
    assert walked == sorted(keys)
    assert await store.keys("c", limit=3) == sorted(keys)[:3]


async def test_enumeration_hides_expired_entries(store: RocksDBStore) -> None:
    await store.put_many(["x", "y"], [{}, {}], collection="gone", ttl=0.2)
    await store.put("old", {}, collection="mixed", ttl=0.2)
    await store.put("new", {}, collection="mixed")
    await anyio.sleep(0.4)
    assert await store.keys("gone") == []
    assert await store.keys("mixed") == ["new"]
    assert await store.collections() == ["mixed"]


async def test_collections_are_ordered_and_paginated(store: RocksDBStore) -> None:
    names = ["b", "a", "a:b", "a%b", "ab", "😀", "a::b"]
    for name in names:
        await store.put_many(["k1", "k2"], [{}, {}], collection=name)
    listed = await store.collections()
    assert sorted(listed) == sorted(names)
    walked = [name async for name in store.iter_collections(page_size=2)]
    assert walked == listed
    assert await store.collections(limit=3) == listed[:3]


async def test_destroy_collection_leaves_look_alike_collections(store: RocksDBStore) -> None:
    for name in ["a", "a:", "a%3A", "ab", "a::b"]:
        await store.put("k", {"c": name}, collection=name)
    assert await store.destroy_collection("a") is True
    assert await store.get("k", collection="a") is None
    for name in ["a:", "a%3A", "ab", "a::b"]:
        assert await store.get("k", collection=name) == {"c": name}
    assert await store.destroy() is True
    assert await store.collections() == []
    assert await store.destroy() is False


# --- databases kv cannot use -------------------------------------------------------------


async def test_raw_mode_database_is_refused(db_path: Path) -> None:
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    db_path.mkdir(parents=True)
    raw = Rdict(str(db_path), options=options)
    raw[b"k"] = b"v"
    raw.close()
    store = kv.connect(f"rocksdb://{db_path}")
    with pytest.raises(kv.StoreSetupError) as caught:
        await store.get("k")
    assert "raw mode" in str(caught.value)


async def test_path_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("not a database")
    store = kv.connect(f"rocksdb://{target}")
    with pytest.raises(kv.StoreSetupError):
        await store.get("k")


async def test_damaged_database(db_path: Path) -> None:
    async with RocksDBStore(db_path) as store:
        await store.put("k", {"v": 1})
    (db_path / "CURRENT").write_text("garbage\n")
    store = RocksDBStore(db_path)
    with pytest.raises(kv.StoreSetupError) as caught:
        await store.get("k")
    assert "damaged" in str(caught.value) or "Corruption" in str(caught.value)
