"""What is special about ``sqlite://`` beyond the conformance suite.

Persistence across store objects, discovery through the entry point, URL
forms and options, names that look like SQL, damaged rows, a locked
database, and that the plugin module stays light.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import kv
from kv import registry
from kv.errors import StoreTimeoutError
from kv.plugin import StorePlugin
from kv_conformance.cases import ODD_NAMES
from kv_sqlite import SQLITE_CAPABILITIES
from kv_sqlite.store import DEFAULT_TABLE, SQLiteStore

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "kv.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SQLiteStore]:
    store = kv.connect(f"sqlite://{db_path}")
    assert isinstance(store, SQLiteStore)
    yield store
    await store.close()


def raw_rows(path: Path, table: str = DEFAULT_TABLE) -> list[tuple[str, str, str]]:
    """Every (collection, key, value) row, read with a plain sqlite3 connection."""
    raw = sqlite3.connect(path)
    try:
        query = f'SELECT collection, key, value FROM "{table}" ORDER BY collection, key'
        return list(raw.execute(query))
    finally:
        raw.close()


def raw_execute(path: Path, sql: str, params: tuple[object, ...] = ()) -> int:
    """Run one statement on a plain sqlite3 connection; return the row count."""
    raw = sqlite3.connect(path)
    try:
        with raw:
            return raw.execute(sql, params).rowcount
    finally:
        raw.close()


# --- discovery -------------------------------------------------------------------


def test_scheme_resolves_through_the_entry_point() -> None:
    plugin = registry.resolve("sqlite")
    assert isinstance(plugin, StorePlugin)
    assert plugin.store == "kv_sqlite.store:SQLiteStore"
    assert plugin.options is SQLiteStore.Options
    assert plugin.capabilities == SQLITE_CAPABILITIES
    assert registry.origin("sqlite") == "kv-sqlite"
    assert "sqlite" in registry.schemes()


def test_plugin_listing_shows_the_distribution() -> None:
    infos = [info for info in registry.plugins() if info.scheme == "sqlite"]
    assert len(infos) == 1
    assert infos[0].distribution == "kv-sqlite"
    assert infos[0].error is None
    assert infos[0].plugin is not None
    assert infos[0].plugin.capabilities.persistent


def test_store_class_and_plugin_declare_the_same_capabilities() -> None:
    assert SQLiteStore.capabilities is SQLITE_CAPABILITIES
    assert SQLITE_CAPABILITIES.persistent
    assert not SQLITE_CAPABILITIES.native_ttl
    assert SQLITE_CAPABILITIES.operations() == [
        "keys",
        "collections",
        "destroy",
        "destroy_collection",
        "cull",
        "put_if_absent",
    ]


def test_plugin_module_is_light() -> None:
    """Listing and resolving plugins imports neither the store module nor sqlite3."""
    code = textwrap.dedent(
        """
        import sys
        import kv_sqlite.plugin
        import kv_sqlite
        from kv import registry
        registry.resolve("sqlite")
        registry.plugins()
        heavy = sorted(
            name for name in ("kv_sqlite.store", "sqlite3", "_sqlite3")
            if name in sys.modules
        )
        print(",".join(heavy))
        kv_sqlite.SQLiteStore  # the lazy export imports the store on first use
        print("kv_sqlite.store" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.splitlines() == ["", "True"]


# --- persistence and URL forms ------------------------------------------------------


async def test_data_persists_across_store_objects(db_path: Path) -> None:
    first = kv.connect(f"sqlite://{db_path}")
    await first.put("alice", {"name": "Alice"}, collection="users")
    await first.put("short", {"v": 1}, collection="users", ttl=3600)
    await first.close()  # type: ignore[attr-defined]

    second = kv.connect(f"sqlite://{db_path}")
    try:
        assert await second.get("alice", collection="users") == {"name": "Alice"}
        value, remaining = await second.ttl("short", collection="users")
        assert value == {"v": 1}
        assert remaining is not None
        assert 3500 < remaining <= 3600
        assert isinstance(second, kv.EnumerateKeys)
        assert sorted(await second.keys("users")) == ["alice", "short"]
    finally:
        await second.close()  # type: ignore[attr-defined]


async def test_the_file_and_its_directory_are_created_on_first_use(db_path: Path) -> None:
    store = kv.connect(f"sqlite://{db_path}")
    assert not db_path.parent.exists()  # connect() does not touch the disk
    try:
        await store.put("k", {"v": 1})
        assert db_path.is_file()
        raw = sqlite3.connect(db_path)
        try:
            assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        finally:
            raw.close()
    finally:
        await store.close()  # type: ignore[attr-defined]


async def test_relative_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = kv.connect("sqlite://sub/relative.db")
    assert isinstance(store, SQLiteStore)
    assert store.options.path == "sub/relative.db"
    try:
        await store.put("k", {"v": 1})
    finally:
        await store.close()
    assert (tmp_path / "sub" / "relative.db").is_file()


async def test_memory_database_is_private_and_not_persistent() -> None:
    store = kv.connect("sqlite://:memory:")
    assert isinstance(store, SQLiteStore)
    assert store.options.path == ":memory:"
    assert not store.capabilities.persistent
    assert SQLiteStore.capabilities.persistent  # the class is unchanged
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    await store.close()
    assert await store.get("k") is None  # a new, empty database after reopening
    await store.close()


async def test_constructor_takes_a_path(tmp_path: Path) -> None:
    async with SQLiteStore(path=tmp_path / "direct.db", table="direct") as store:
        await store.put("k", {"v": 1})
    assert raw_rows(tmp_path / "direct.db", "direct") == [("default_collection", "k", '{"v":1}')]


async def test_options_from_the_query_and_keywords(db_path: Path) -> None:
    store = kv.connect(f"sqlite://{db_path}?table=cache&timeout=2.5&default_collection=app")
    assert isinstance(store, SQLiteStore)
    assert (store.options.table, store.options.timeout, store.default_collection) == (
        "cache",
        2.5,
        "app",
    )
    keyword = kv.connect(f"sqlite://{db_path}?table=cache", table="other", timeout=1)
    assert isinstance(keyword, SQLiteStore)
    assert (keyword.options.table, keyword.options.timeout) == ("other", 1.0)
    try:
        await store.put("k", {"v": 1})
        assert raw_rows(db_path, "cache") == [("app", "k", '{"v":1}')]
    finally:
        await store.close()


@pytest.mark.parametrize(
    "table",
    ["bad-name", "1starts_with_digit", "x" * 64, 'a"b', "kv; DROP TABLE x", "", "sqlite_master"],
)
def test_bad_table_name_is_an_invalid_option(table: str) -> None:
    with pytest.raises(kv.InvalidOptionError, match="table"):
        kv.connect("sqlite://:memory:", table=table)
    with pytest.raises(kv.InvalidOptionError):
        SQLiteStore(":memory:", table=table)


def test_bad_table_name_in_the_query_is_an_invalid_option() -> None:
    with pytest.raises(kv.InvalidOptionError, match="table"):
        kv.connect("sqlite://:memory:?table=no%20spaces")


def test_longest_table_name_is_accepted() -> None:
    assert SQLiteStore(":memory:", table="t" * 63).options.table == "t" * 63


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("sqlite://:memory:?unknown=1", {}),
        ("sqlite://:memory:", {"unknown": 1}),
        ("sqlite://:memory:?timeout=soon", {}),
        ("sqlite://:memory:", {"timeout": -1}),
        ("sqlite://:memory:", {"timeout": float("inf")}),
        ("sqlite://:memory:", {"default_collection": ""}),
        ("sqlite://:memory:", {"path": ""}),
    ],
)
def test_bad_options_are_invalid_option_errors(url: str, options: dict[str, Any]) -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect(url, **options)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite://?table=t", "sqlite://user:pw@host/x.db"])
def test_url_without_a_usable_path_is_refused(url: str) -> None:
    with pytest.raises(kv.InvalidURLError) as caught:
        kv.connect(url)
    assert "pw" not in str(caught.value)


def test_empty_constructor_path_is_refused() -> None:
    with pytest.raises(kv.InvalidOptionError, match="path"):
        SQLiteStore("")


def test_windows_drive_path_loses_its_leading_slash() -> None:
    store = SQLiteStore.from_url(kv.StoreURL.parse("sqlite:///C:/data/kv.db"))
    assert store.options.path == "C:/data/kv.db"


# --- names, values and damaged rows -------------------------------------------------

SQL_LOOKALIKES = [
    "'; DROP TABLE kv_entries; --",
    '"); DELETE FROM kv_entries; --',
    "' OR '1'='1",
    "%",
    "_",
    "?",
    ":name",
    "$1",
    "a\x00b",
    "\x00",
]


async def test_sql_in_names_is_stored_literally(store: SQLiteStore, db_path: Path) -> None:
    await store.put("plain", {"v": "plain"}, collection="c")
    for name in SQL_LOOKALIKES:
        await store.put(name, {"key": name}, collection=name)
    await store.put_many(SQL_LOOKALIKES, [{"i": i} for i in range(len(SQL_LOOKALIKES))])
    for name in SQL_LOOKALIKES:
        assert await store.get(name, collection=name) == {"key": name}
        assert await store.get(name, collection="plain") is None
    assert await store.get_many(SQL_LOOKALIKES) == [{"i": i} for i in range(len(SQL_LOOKALIKES))]
    assert sorted(await store.keys()) == sorted(SQL_LOOKALIKES)
    assert set(SQL_LOOKALIKES) <= set(await store.collections())
    assert await store.get("plain", collection="c") == {"v": "plain"}
    rows = raw_rows(db_path)
    assert ("c", "plain", '{"v":"plain"}') in rows
    assert {key for collection, key, _ in rows if collection == key} == set(SQL_LOOKALIKES)
    assert await store.delete_many(SQL_LOOKALIKES) == len(SQL_LOOKALIKES)
    assert await store.get("plain", collection="c") == {"v": "plain"}


async def test_nul_in_names_is_kept_whole(store: SQLiteStore, db_path: Path) -> None:
    await store.put("a\x00b", {"v": 1}, collection="c\x00d")
    await store.put("a\x00c", {"v": 2}, collection="c\x00d")
    await store.put("a", {"v": 3}, collection="c")
    rows = raw_rows(db_path)
    assert ("c\x00d", "a\x00b", '{"v":1}') in rows
    assert ("c\x00d", "a\x00c", '{"v":2}') in rows
    assert await store.get("a", collection="c\x00d") is None
    assert await store.keys("c\x00d") == ["a\x00b", "a\x00c"]
    assert await store.keys("c") == ["a"]


async def test_every_odd_name_survives_reopening(db_path: Path) -> None:
    names = sorted(ODD_NAMES.values())
    first = kv.connect(f"sqlite://{db_path}")
    await first.put_many(names, [{"n": n} for n in names], collection="odd\x00/::")
    await first.close()  # type: ignore[attr-defined]
    second = kv.connect(f"sqlite://{db_path}")
    try:
        assert await second.get_many(names, collection="odd\x00/::") == [{"n": n} for n in names]
    finally:
        await second.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("column", "stored", "message"),
    [
        ("value", "[1, 2]", "not a JSON object"),
        ("value", "not json", "not valid JSON"),
        ("value", None, "no value"),
        ("value", b'{"v": 1', "not valid JSON"),
        ("value", b"\xff\xfe", "not UTF-8"),
        ("expires_at", "tomorrow", "expires_at"),
        ("created_at", b"x", "created_at"),
    ],
)
async def test_damaged_row_is_a_deserialization_error(
    store: SQLiteStore, db_path: Path, column: str, stored: object, message: str
) -> None:
    await store.put("bad", {"v": 1}, collection="test")
    await store.put("good", {"v": 2}, collection="test")
    changed = raw_execute(
        db_path,
        f"UPDATE kv_entries SET {column} = ? WHERE key = 'bad'",
        (stored,),
    )
    assert changed == 1
    with pytest.raises(kv.DeserializationError, match=message) as caught:
        await store.get("bad", collection="test")
    assert caught.value.key == "bad"
    assert caught.value.collection == "test"
    with pytest.raises(kv.DeserializationError) as in_bulk:
        await store.get_many(["good", "bad"], collection="test")
    assert in_bulk.value.key == "bad"
    assert await store.get("good", collection="test") == {"v": 2}
    assert await store.delete("bad", collection="test") is True


async def test_text_that_is_not_utf8_is_a_deserialization_error(
    store: SQLiteStore, db_path: Path
) -> None:
    await store.put("bad", {"v": 1}, collection="test")
    raw_execute(db_path, "UPDATE kv_entries SET value = CAST(? AS TEXT)", (b'{"v":"\xff"}',))
    with pytest.raises(kv.DeserializationError) as caught:
        await store.get("bad", collection="test")
    assert "\\xff" not in str(caught.value)


# --- bulk, expiry and housekeeping -----------------------------------------------------


async def test_bulk_calls_beyond_one_chunk(store: SQLiteStore) -> None:
    keys = [f"k{i}" for i in range(1234)]
    await store.put_many(keys, [{"i": i} for i in range(1234)], collection="bulk")
    asked = ["missing", *reversed(keys), "k7", "k7"]
    got = await store.get_many(asked, collection="bulk")
    assert got == [None, *({"i": i} for i in reversed(range(1234))), {"i": 7}, {"i": 7}]
    assert await store.delete_many([*keys, *keys, "missing"], collection="bulk") == 1234
    assert await store.keys("bulk") == []


async def test_get_many_reads_with_one_statement(store: SQLiteStore) -> None:
    keys = [f"k{i}" for i in range(50)]
    await store.put_many(keys, [{"i": i} for i in range(50)], collection="test")
    statements: list[str] = []
    assert store._connection is not None
    store._connection.set_trace_callback(statements.append)
    try:
        await store.get_many(keys, collection="test")
    finally:
        store._connection.set_trace_callback(None)
    assert len(statements) == 1
    assert statements[0].startswith("SELECT key, value")


async def test_keys_are_paged_in_order(store: SQLiteStore) -> None:
    keys = [f"k{i:03d}" for i in range(23)]
    await store.put_many(list(reversed(keys)), [{}] * 23, collection="paged")
    assert [key async for key in store.iter_keys("paged", page_size=4)] == keys
    names = [f"c{i:02d}" for i in range(9)]
    for name in names:
        await store.put("k", {}, collection=name)
    walked = [name async for name in store.iter_collections(page_size=2)]
    assert walked == [*names, "paged"]


async def test_expired_rows_are_hidden_until_culled(store: SQLiteStore, db_path: Path) -> None:
    await store.put_many(["gone1", "gone2"], [{}, {}], collection="ttl", ttl=60)
    await store.put("live", {}, collection="ttl")
    await store.put("gone3", {}, collection="only-expired", ttl=60)
    raw_execute(db_path, "UPDATE kv_entries SET expires_at = 1 WHERE key LIKE 'gone%'")
    assert await store.get("gone1", collection="ttl") is None
    assert await store.keys("ttl") == ["live"]
    assert "only-expired" not in await store.collections()
    assert await store.delete("gone2", collection="ttl") is False  # it had expired
    assert len(raw_rows(db_path)) == 4
    assert await store.cull() == 3
    assert raw_rows(db_path) == [("ttl", "live", "{}")]
    assert await store.cull() == 0


async def test_tables_in_one_file_are_separate(db_path: Path) -> None:
    one = SQLiteStore(db_path, table="one")
    two = SQLiteStore(db_path, table="two")
    try:
        await one.put("k", {"in": "one"})
        await two.put("k", {"in": "two"})
        assert await one.destroy() is True
        assert await one.get("k") is None
        assert await two.get("k") == {"in": "two"}
        assert await two.destroy_collection("default_collection") is True
        assert await two.destroy_collection("default_collection") is False
    finally:
        await one.close()
        await two.close()


# --- failures ---------------------------------------------------------------------------


async def test_locked_database_times_out(db_path: Path) -> None:
    store = kv.connect(f"sqlite://{db_path}?timeout=0.1")
    await store.put("k", {"v": 1})
    raw = sqlite3.connect(db_path, isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO kv_entries (collection, key, value) VALUES ('c', 'k', '{}')")
        with pytest.raises(StoreTimeoutError) as caught:
            await store.put("k", {"v": 2})
        assert isinstance(caught.value, TimeoutError)
        assert "locked" in str(caught.value)
        assert caught.value.key == "k"
        assert await store.get("k") == {"v": 1}  # WAL: reads go on during the write
    finally:
        raw.execute("ROLLBACK")
        raw.close()
    await store.put("k", {"v": 3})
    assert await store.get("k") == {"v": 3}
    await store.close()  # type: ignore[attr-defined]


async def test_path_under_a_file_is_a_setup_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    store = kv.connect(f"sqlite://{tmp_path}/file/kv.db")
    with pytest.raises(kv.StoreSetupError):
        await store.get("k")
    await store.close()  # type: ignore[attr-defined]


async def test_file_that_is_not_a_database_is_a_setup_error(tmp_path: Path) -> None:
    path = tmp_path / "kv.db"
    path.write_bytes(b"this is not an SQLite database, just some text." * 100)
    store = kv.connect(f"sqlite://{path}")
    with pytest.raises(kv.StoreSetupError, match="not an SQLite database"):
        await store.put("k", {"v": 1})
    await store.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("database is locked", StoreTimeoutError),
        ("database table is locked", StoreTimeoutError),
        ("unable to open database file", kv.StoreSetupError),
        ("file is not a database", kv.StoreSetupError),
        ("attempt to write a readonly database", kv.ReadOnlyError),
        ("database or disk is full", kv.StoreError),
        ("disk I/O error", kv.StoreError),
    ],
)
def test_errors_without_a_code_are_recognised_by_message(
    message: str, expected: type[kv.KeyValueError]
) -> None:
    """Python 3.10's sqlite3 exceptions carry no result code; the message is used."""
    store = SQLiteStore(":memory:")
    error = sqlite3.OperationalError(message)
    assert getattr(error, "sqlite_errorcode", None) is None
    translated = store._translate_error(error)
    assert isinstance(translated, expected)


def test_unknown_sqlite_errors_are_left_to_the_base_store() -> None:
    store = SQLiteStore(":memory:")
    assert store._translate_error(sqlite3.OperationalError("no such table: x")) is None
    assert store._translate_error(ValueError("not sqlite")) is None


def test_package_exports_lazily() -> None:
    import kv_sqlite

    assert kv_sqlite.SQLiteStore is SQLiteStore
    with pytest.raises(AttributeError):
        _ = kv_sqlite.NoSuchName
