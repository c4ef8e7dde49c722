"""What is special about ``duckdb://`` beyond the conformance suite.

Discovery and the light plugin module, URL forms and options, the table
layout and querying it with SQL, bound parameters against SQL injection, one
statement per bulk call, reclaiming expired rows, ordered enumeration, and
files kv cannot use.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import duckdb
import pytest

import kv
from kv import registry
from kv.plugin import StorePlugin
from kv_duckdb import DUCKDB_CAPABILITIES
from kv_duckdb.store import DEFAULT_TABLE, DuckDBStore

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "kv.duckdb"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[DuckDBStore]:
    store = kv.connect(f"duckdb://{db_path}")
    assert isinstance(store, DuckDBStore)
    yield store
    await store.close()


def raw_query(path: Path, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on a plain duckdb connection (the store must be closed)."""
    raw = duckdb.connect(str(path))
    try:
        return raw.execute(sql, params).fetchall()
    finally:
        raw.close()


# --- discovery -------------------------------------------------------------------


def test_scheme_resolves_through_the_entry_point() -> None:
    plugin = registry.resolve("duckdb")
    assert isinstance(plugin, StorePlugin)
    assert plugin.store == "kv_duckdb.store:DuckDBStore"
    assert plugin.options is DuckDBStore.Options
    assert plugin.capabilities == DUCKDB_CAPABILITIES
    assert registry.origin("duckdb") == "kv-duckdb"


def test_store_class_and_plugin_declare_the_same_capabilities() -> None:
    assert DuckDBStore.capabilities is DUCKDB_CAPABILITIES
    assert DUCKDB_CAPABILITIES.persistent
    assert not DUCKDB_CAPABILITIES.native_ttl
    assert DUCKDB_CAPABILITIES.operations() == [
        "keys",
        "collections",
        "destroy",
        "destroy_collection",
        "cull",
        "put_if_absent",
    ]


def test_plugin_module_is_light() -> None:
    """Listing and resolving plugins imports neither the store module nor duckdb."""
    code = textwrap.dedent(
        """
        import sys
        import kv_duckdb.plugin
        import kv_duckdb
        from kv import registry
        registry.resolve("duckdb")
        registry.plugins()
        heavy = sorted(n for n in ("kv_duckdb.store", "duckdb") if n in sys.modules)
        print(",".join(heavy))
        kv_duckdb.DuckDBStore
        print("kv_duckdb.store" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.splitlines() == ["", "True"]


# --- URL forms and options -----------------------------------------------------------


async def test_file_is_created_on_first_use_only(db_path: Path) -> None:
    store = kv.connect(f"duckdb://{db_path}")
    assert not db_path.parent.exists()  # connect() does not touch the disk
    try:
        await store.put("k", {"v": 1})
        assert db_path.is_file()
    finally:
        await store.close()  # type: ignore[attr-defined]


async def test_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = kv.connect("duckdb://sub/kv.duckdb")
    assert isinstance(store, DuckDBStore)
    assert store.options.path == "sub/kv.duckdb"
    try:
        await store.put("k", {"v": 1})
    finally:
        await store.close()
    assert (tmp_path / "sub" / "kv.duckdb").is_file()


async def test_memory_database_is_private_and_not_persistent() -> None:
    store = kv.connect("duckdb://:memory:")
    other = kv.connect("duckdb://:memory:")
    assert isinstance(store, DuckDBStore)
    assert not store.capabilities.persistent
    assert DuckDBStore.capabilities.persistent  # the class is unchanged
    try:
        await store.put("k", {"v": 1})
        assert await store.get("k") == {"v": 1}
        assert await other.get("k") is None
        await store.close()
        assert await store.get("k") is None  # a new, empty database after reopening
    finally:
        await store.close()
        await other.close()  # type: ignore[attr-defined]


def test_options_from_query_and_keywords(db_path: Path) -> None:
    store = kv.connect(
        f"duckdb://{db_path}?table=cache&lock_timeout=2.5&default_collection=app&sweep_limit=9"
    )
    assert isinstance(store, DuckDBStore)
    assert (store.options.table, store.options.lock_timeout, store.default_collection) == (
        "cache",
        2.5,
        "app",
    )
    assert store.sweep_limit == 9
    overridden = kv.connect(f"duckdb://{db_path}?table=cache", table="other")
    assert isinstance(overridden, DuckDBStore)
    assert overridden.options.table == "other"
    assert repr(store) == f"<DuckDBStore path={str(db_path)!r} table='cache'>"


@pytest.mark.parametrize(
    "table",
    ['x"; DROP TABLE kv_entries; --', "1abc", "", "a-b", "a" * 64, "tab le", "é"],
)
def test_bad_table_names_are_refused_everywhere(db_path: Path, table: str) -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect(f"duckdb://{db_path}", table=table)
    with pytest.raises(kv.InvalidOptionError):
        DuckDBStore(db_path, table=table)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("duckdb://", kv.InvalidURLError),
        ("duckdb://user:secret@host/kv.duckdb", kv.InvalidURLError),
        ("duckdb:///tmp/x.duckdb?lock_timeout=-1", kv.InvalidOptionError),
        ("duckdb:///tmp/x.duckdb?unknown=1", kv.InvalidOptionError),
        ("duckdb:///tmp/x.duckdb?table=a%20b", kv.InvalidOptionError),
    ],
)
def test_bad_urls_and_options(url: str, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        kv.connect(url)
    assert "secret" not in str(caught.value)


# --- layout and SQL --------------------------------------------------------------------


async def test_layout_is_py_key_value_s_table(store: DuckDBStore, db_path: Path) -> None:
    await store.put("alice", {"name": "Alice", "tags": [1, "a"]}, collection="users", ttl=3600)
    await store.put("bob", {"name": "Bob"}, collection="users")
    await store.close()
    columns = raw_query(db_path, f"DESCRIBE {DEFAULT_TABLE}")
    assert [(c[0], c[1]) for c in columns] == [
        ("collection", "VARCHAR"),
        ("key", "VARCHAR"),
        ("value", "JSON"),
        ("created_at", "TIMESTAMP WITH TIME ZONE"),
        ("expires_at", "TIMESTAMP WITH TIME ZONE"),
        ("version", "INTEGER"),
    ]
    indexes = raw_query(db_path, "SELECT index_name FROM duckdb_indexes() ORDER BY index_name")
    assert indexes == [("idx_kv_entries_collection",), ("idx_kv_entries_expires_at",)]
    rows = raw_query(
        db_path,
        "SELECT key, value, epoch(expires_at) - epoch(created_at), version"
        " FROM kv_entries ORDER BY key",
    )
    assert rows[0][:2] == ("alice", '{"name":"Alice","tags":[1,"a"]}')
    assert rows[0][2] == pytest.approx(3600, abs=0.01)
    assert rows[1] == ("bob", '{"name":"Bob"}', None, 1)


async def test_documented_sql_query(store: DuckDBStore, db_path: Path) -> None:
    """The example query of docs/plugins/duckdb.md."""
    await store.put_many(
        ["alice", "bob"],
        [{"name": "Alice", "age": 30}, {"name": "Bob", "age": 25}],
        collection="users",
    )
    await store.put("x", {"name": "Other"}, collection="elsewhere")
    await store.close()
    rows = raw_query(
        db_path,
        "SELECT key, value->>'name' AS name FROM kv_entries WHERE collection = ?"
        " AND (expires_at IS NULL OR expires_at > now()) ORDER BY key",
        ["users"],
    )
    assert rows == [("alice", "Alice"), ("bob", "Bob")]
    older = raw_query(
        db_path,
        "SELECT key FROM kv_entries WHERE collection = 'users' AND CAST(value->>'age' AS INT) > 26",
    )
    assert older == [("alice",)]


INJECTIONS = [
    "'; DROP TABLE kv_entries; --",
    "x' OR '1'='1",
    'x"); DELETE FROM kv_entries; --',
    "?",
    "$1",
    "\\'; SELECT 1; --",
    "a\x00b'--",
]


@pytest.mark.parametrize("name", INJECTIONS)
async def test_sql_injection_in_names_and_values_is_stored_literally(
    store: DuckDBStore, name: str
) -> None:
    await store.put("safe", {"v": 0}, collection="c")
    await store.put(name, {"v": name}, collection=name)
    await store.put_many([name, "other"], [{"n": name}, {"v": 2}], collection="c")
    assert await store.get(name, collection=name) == {"v": name}
    assert await store.get_many([name, "safe"], collection="c") == [{"n": name}, {"v": 0}]
    assert await store.keys(name) == [name]
    assert name in await store.collections()
    assert await store.get("safe", collection="c") == {"v": 0}
    assert await store.delete_many([name], collection="c") == 1
    assert await store.destroy_collection(name) is True
    assert sorted(await store.keys("c")) == ["other", "safe"]


class _CountingConnection:
    """Wraps a DuckDB connection and counts the statements run through it."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self.statements: list[str] = []

    def execute(self, sql: str, parameters: object = None) -> Any:
        self.statements.append(sql)
        return self.connection.execute(sql, parameters)

    def close(self) -> None:
        self.connection.close()


async def test_bulk_calls_are_single_statements(store: DuckDBStore) -> None:
    await store.setup()
    assert store._connection is not None
    counting = _CountingConnection(store._connection)
    store._connection = counting  # type: ignore[assignment]
    store.configure_sweep(interval=None)
    keys = [f"k{i}" for i in range(2000)]
    await store.put_many(keys, [{"i": i} for i in range(2000)], ttl=60)
    assert len(await store.get_many(keys)) == 2000
    assert await store.delete_many([*keys, "missing"]) == 2000
    assert len(counting.statements) == 3


async def test_put_many_later_duplicates_win(store: DuckDBStore) -> None:
    await store.put_many(["d", "x", "d"], [{"v": 1}, {"v": 2}, {"v": 3}])
    assert await store.get_many(["d", "x"]) == [{"v": 3}, {"v": 2}]


async def test_existing_table_with_another_layout(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    raw_query(db_path, "CREATE TABLE kv_entries (id INTEGER, payload VARCHAR)")
    store = kv.connect(f"duckdb://{db_path}")
    with pytest.raises(kv.StoreSetupError) as caught:
        await store.get("k")
    assert "another layout" in str(caught.value)
    other = kv.connect(f"duckdb://{db_path}?table=kv2")
    try:
        await other.put("k", {"v": 1})  # another table in the same file is fine
    finally:
        await other.close()  # type: ignore[attr-defined]


async def test_not_a_duckdb_file(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_text("hello, this is not a database " * 200)
    store = kv.connect(f"duckdb://{db_path}")
    with pytest.raises(kv.StoreSetupError) as caught:
        await store.get("k")
    assert "not a DuckDB database" in str(caught.value)


async def test_use_after_the_connection_broke(store: DuckDBStore) -> None:
    await store.put("k", {"v": 1})
    assert store._connection is not None
    store._connection.close()  # closed behind the store's back
    with pytest.raises(kv.StoreConnectionError) as caught:
        await store.get("k")
    assert caught.value.key == "k"


# --- expiry: cull and the bounded sweep --------------------------------------------------


async def test_cull_removes_expired_rows(db_path: Path) -> None:
    store = DuckDBStore(db_path)
    store.configure_sweep(interval=None)
    try:
        keys = [f"e{i}" for i in range(5000)]
        await store.put_many(keys, [{"i": 1}] * len(keys), collection="t", ttl=0.5)
        await store.put("live", {"v": 1}, collection="t")
        await store.put("later", {"v": 2}, collection="t", ttl=3600)
        await anyio.sleep(0.8)
        assert await store.get("e1", collection="t") is None  # hidden before the cull
        assert await store.keys("t") == ["later", "live"]
        assert await store.cull() == 5000
        assert await store.cull() == 0
    finally:
        await store.close()
    assert raw_query(db_path, "SELECT key FROM kv_entries ORDER BY key") == [
        ("later",),
        ("live",),
    ]


async def test_bounded_sweep_during_writes(db_path: Path) -> None:
    store = DuckDBStore(db_path)
    store.configure_sweep(interval=0.05, limit=40)
    try:
        keys = [f"e{i:03d}" for i in range(100)]
        await store.put_many(keys, [{}] * len(keys), collection="t", ttl=0.2)
        await anyio.sleep(0.4)
        await store.put("w1", {}, collection="t")  # sweeps at most 40
        assert store._connection is not None
        count = store._connection.execute("SELECT count(*) FROM kv_entries").fetchone()
        assert count == (100 - 40 + 1,)
        for name in ("w2", "w3"):
            await anyio.sleep(0.1)
            await store.put(name, {}, collection="t")
    finally:
        await store.close()
    assert raw_query(db_path, "SELECT key FROM kv_entries ORDER BY key") == [
        ("w1",),
        ("w2",),
        ("w3",),
    ]


# --- enumeration ---------------------------------------------------------------------------


async def test_keys_and_collections_are_ordered_and_paginated(store: DuckDBStore) -> None:
    keys = ["b", "a", "c::d", "é", "\x00", "Z", "a\x00", "😀"]
    await store.put_many(keys, [{}] * len(keys), collection="c")
    assert await store.keys("c") == sorted(keys)  # UTF-8 byte order = code point order
    assert [key async for key in store.iter_keys("c", page_size=3)] == sorted(keys)
    for name in ["b", "a", "a::b", "😀"]:
        await store.put("k", {}, collection=name)
    listed = await store.collections()
    assert listed == sorted(["b", "a", "a::b", "😀", "c"])
    assert [name async for name in store.iter_collections(page_size=2)] == listed


async def test_enumeration_hides_expired_rows(store: DuckDBStore) -> None:
    await store.put_many(["x", "y"], [{}, {}], collection="gone", ttl=0.2)
    await store.put("old", {}, collection="mixed", ttl=0.2)
    await store.put("new", {}, collection="mixed")
    await anyio.sleep(0.4)
    assert await store.keys("gone") == []
    assert await store.keys("mixed") == ["new"]
    assert await store.collections() == ["mixed"]
    assert await store.delete("old", collection="mixed") is False  # expired: did not exist
