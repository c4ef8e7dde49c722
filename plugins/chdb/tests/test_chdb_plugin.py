"""What is special about ``chdb://`` beyond the conformance suite.

The one escaping function for query parameters (checked against the real
engine), SQL injection attempts, the table layout and querying it with SQL,
one statement per bulk call, reclaiming expired rows, ordered enumeration,
URL forms and options, and the light plugin module.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from chdb.session import Session

import kv
import kv_chdb.store
from kv import registry
from kv.plugin import StorePlugin
from kv_chdb import CHDB_CAPABILITIES
from kv_chdb.sql import escape_parameter, json_list, json_rows
from kv_chdb.store import ChDBStore

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ChDBStore]:
    store = kv.connect(f"chdb://{tmp_path}/db")
    assert isinstance(store, ChDBStore)
    yield store
    await store.close()


def raw_rows(store: ChDBStore, sql: str) -> list[dict[str, Any]]:
    """Rows of ``sql`` over a raw session on the store's path (same process server)."""
    raw = Session(store.options.path)
    try:
        data = raw.query(sql, "JSONEachRow").bytes()
        return [json.loads(line) for line in data.splitlines() if line]
    finally:
        raw.close()


# --- the escaping function, against the engine ------------------------------------------


def _texts() -> Iterator[str]:
    yield from (chr(code) for code in range(128))
    yield from ["\\N", "\\", "\\\\", "\\'", "'", "\\0", "a\\nb", "\\t", "{x:String}", "\\x41"]
    yield from ["é", "中文", "😀", "\u2028", "\ufeff", "\U0010ffff", "a\x00b\\0c\n\t\r'\""]
    rng = random.Random(4)
    alphabet = "\\'\"\n\t\r\x00{}:ab é😀"
    yield from ("".join(rng.choice(alphabet) for _ in range(12)) for _ in range(200))


def test_escape_parameter_round_trips_every_text_through_chdb(tmp_path: Path) -> None:
    texts = list(_texts())
    session = Session(str(tmp_path / "db"))
    try:
        for text in texts:
            data = session.query(
                "SELECT {v:String} AS v", "JSONEachRow", params={"v": escape_parameter(text)}
            ).bytes()
            assert json.loads(data)["v"] == text, repr(text)
        # a JSON list of all of them, through one parameter, as get_many sends keys
        data = session.query(
            "SELECT arrayJoin(JSONExtract({keys:String}, 'Array(String)')) AS k",
            "JSONEachRow",
            params={"keys": escape_parameter(json_list(texts))},
        ).bytes()
        assert [json.loads(line)["k"] for line in data.splitlines()] == texts
        # and as insert data
        session.query("CREATE TABLE t (s String) ENGINE = MergeTree ORDER BY tuple()")
        session.query("INSERT INTO t FORMAT JSONEachRow\n" + json_rows({"s": t} for t in texts))
        data = session.query("SELECT s FROM t", "JSONEachRow").bytes()
        assert sorted(json.loads(line)["s"] for line in data.splitlines()) == sorted(texts)
    finally:
        session.close()


def test_escape_parameter_is_needed() -> None:
    """Without it a backslash, tab or newline would change or break the value."""
    assert escape_parameter("a\\b") == "a\\\\b"
    assert escape_parameter("\\N") == "\\\\N"
    assert escape_parameter("a\tb\nc\rd\x00") == "a\\tb\\nc\\rd\\0"
    assert escape_parameter("it's {x:String}") == "it's {x:String}"


INJECTIONS = [
    "'; DROP TABLE kv_entries; --",
    "x' OR '1'='1",
    "\\'; TRUNCATE TABLE kv_entries; --",
    "{collection:String}",
    "a\\",
    "\\N",
    "x') OR 1=1 --",
    '"]); DROP TABLE kv_entries; --',
    "a\nb\tc\x00",
]


@pytest.mark.parametrize("name", INJECTIONS)
async def test_sql_injection_in_names_and_values_is_stored_literally(
    store: ChDBStore, name: str
) -> None:
    await store.put("safe", {"v": 0}, collection="c")
    await store.put(name, {"v": name}, collection=name)
    await store.put_many([name, "other"], [{"n": name}, {"v": 2}], collection="c")
    assert await store.get(name, collection=name) == {"v": name}
    assert await store.get_many([name, "safe"], collection="c") == [{"n": name}, {"v": 0}]
    assert await store.keys(name) == [name]
    assert name in await store.collections()
    assert await store.delete_many([name], collection="c") == 1
    assert await store.destroy_collection(name) is True
    assert sorted(await store.keys("c")) == ["other", "safe"]
    assert await store.get("safe", collection="c") == {"v": 0}


# --- discovery, URL forms, options ---------------------------------------------------------


def test_scheme_resolves_through_the_entry_point() -> None:
    plugin = registry.resolve("chdb")
    assert isinstance(plugin, StorePlugin)
    assert plugin.store == "kv_chdb.store:ChDBStore"
    assert plugin.options is ChDBStore.Options
    assert plugin.capabilities == CHDB_CAPABILITIES
    assert ChDBStore.capabilities is CHDB_CAPABILITIES
    assert registry.origin("chdb") == "kv-chdb"


def test_plugin_module_is_light() -> None:
    """Listing and resolving plugins imports neither the store module nor chdb."""
    code = textwrap.dedent(
        """
        import sys
        import kv_chdb.plugin
        import kv_chdb
        from kv import registry
        registry.resolve("chdb")
        registry.plugins()
        heavy = sorted(n for n in ("kv_chdb.store", "chdb") if n in sys.modules)
        print(",".join(heavy))
        kv_chdb.ChDBStore
        print("kv_chdb.store" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.splitlines() == ["", "True"]


def test_options_from_query_and_keywords(tmp_path: Path) -> None:
    store = kv.connect(f"chdb://{tmp_path}/db?table=cache&lock_timeout=2&default_collection=app")
    assert isinstance(store, ChDBStore)
    assert (store.options.table, store.options.lock_timeout, store.default_collection) == (
        "cache",
        2.0,
        "app",
    )
    assert repr(store) == f"<ChDBStore path={str(tmp_path / 'db')!r} table='cache'>"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("chdb://", kv.InvalidURLError),
        ("chdb://user:secret@host/db", kv.InvalidURLError),
        ("chdb:///tmp/x?table=a-b", kv.InvalidOptionError),
        ("chdb:///tmp/x?table=x%22%3B%20DROP", kv.InvalidOptionError),
        ("chdb:///tmp/x?lock_timeout=-1", kv.InvalidOptionError),
        ("chdb:///tmp/x?unknown=1", kv.InvalidOptionError),
        ("chdb://:memory:", kv.InvalidOptionError),
        ("chdb:///tmp/a%3Fb", kv.InvalidOptionError),
    ],
)
def test_bad_urls_and_options(url: str, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        kv.connect(url)
    assert "secret" not in str(caught.value)


# --- layout and SQL ------------------------------------------------------------------------


async def test_layout_and_documented_sql_query(store: ChDBStore) -> None:
    await store.put_many(
        ["alice", "bob"],
        [{"name": "Alice", "age": 30}, {"name": "Bob", "age": 25}],
        collection="users",
        ttl=3600,
    )
    await store.put("alice", {"name": "Alice", "age": 31}, collection="users")  # a newer row
    columns = raw_rows(
        store, "SELECT name, type FROM system.columns WHERE table = 'kv_entries' ORDER BY position"
    )
    assert [(c["name"], c["type"]) for c in columns] == [
        ("collection", "String"),
        ("key", "String"),
        ("document", "String"),
        ("expires_at", "Nullable(DateTime64(6, 'UTC'))"),
        ("version", "UInt64"),
    ]
    rows = raw_rows(
        store,
        "SELECT key, JSONExtractString(document, 'value', 'name') AS name,"
        " JSONExtractInt(document, 'value', 'age') AS age"
        " FROM kv_entries FINAL WHERE collection = 'users'"
        " AND (expires_at IS NULL OR expires_at > now64(6)) ORDER BY key",
    )
    assert rows == [
        {"key": "alice", "name": "Alice", "age": 31},
        {"key": "bob", "name": "Bob", "age": 25},
    ]
    documents = raw_rows(store, "SELECT document FROM kv_entries FINAL ORDER BY key")
    assert json.loads(documents[0]["document"])["key"] == "alice"
    assert json.loads(documents[1]["document"])["collection"] == "users"


async def test_bulk_calls_are_single_statements(
    store: ChDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.setup()
    store.configure_sweep(interval=None)
    statements: list[str] = []
    real = kv_chdb.store._query

    def counting(sql: str, parameters: Any, session: Session) -> bytes:
        statements.append(sql.split(None, 1)[0])
        return real(sql, parameters, session)

    monkeypatch.setattr(kv_chdb.store, "_query", counting)
    keys = [f"k{i}" for i in range(2000)]
    await store.put_many(keys, [{"i": i} for i in range(2000)], ttl=60)
    assert statements == ["INSERT"]
    assert len(await store.get_many(keys)) == 2000
    assert statements == ["INSERT", "SELECT"]
    assert await store.delete_many([*keys, "missing"]) == 2000
    assert statements == ["INSERT", "SELECT", "SELECT", "DELETE"]


async def test_put_many_later_duplicates_win(store: ChDBStore) -> None:
    await store.put_many(["d", "x", "d"], [{"v": 1}, {"v": 2}, {"v": 3}])
    assert await store.get_many(["d", "x"]) == [{"v": 3}, {"v": 2}]


async def test_existing_table_with_another_layout(tmp_path: Path) -> None:
    raw = Session(str(tmp_path / "db"))
    try:
        raw.query("CREATE TABLE kv_entries (id UInt64) ENGINE = MergeTree ORDER BY id")
    finally:
        raw.close()
    store = ChDBStore(tmp_path / "db")
    try:
        with pytest.raises(kv.StoreSetupError) as caught:
            await store.get("k")
        assert "another layout" in str(caught.value)
    finally:
        await store.close()


# --- expiry: cull and the bounded sweep -------------------------------------------------------


async def test_cull_removes_expired_rows(store: ChDBStore) -> None:
    store.configure_sweep(interval=None)
    keys = [f"e{i}" for i in range(5000)]
    await store.put_many(keys, [{"i": 1}] * len(keys), collection="t", ttl=0.5)
    await store.put("live", {"v": 1}, collection="t")
    await store.put("later", {"v": 2}, collection="t", ttl=3600)
    await store.put("e1", {"v": "renewed"}, collection="t")  # an older expiring row of a live key
    await anyio.sleep(0.8)
    assert await store.get("e2", collection="t") is None  # hidden before the cull
    assert await store.keys("t") == ["e1", "later", "live"]
    assert await store.cull() == 4999
    assert await store.cull() == 0
    rows = raw_rows(store, "SELECT key FROM kv_entries ORDER BY key")  # no FINAL: every row
    assert [row["key"] for row in rows] == ["e1", "later", "live"]
    assert await store.get("e1", collection="t") == {"v": "renewed"}


async def test_expired_latest_row_does_not_bring_back_an_older_one(store: ChDBStore) -> None:
    await store.put("k", {"v": "old"}, collection="t")
    await store.put("k", {"v": "new"}, collection="t", ttl=0.2)
    await anyio.sleep(0.4)
    assert await store.cull() == 1
    assert await store.get("k", collection="t") is None


async def test_bounded_sweep_during_writes(store: ChDBStore) -> None:
    store.configure_sweep(interval=0.05, limit=40)
    keys = [f"e{i:03d}" for i in range(100)]
    await store.put_many(keys, [{}] * len(keys), collection="t", ttl=0.2)
    await anyio.sleep(0.4)
    await store.put("w1", {}, collection="t")  # sweeps at most 40
    assert len(raw_rows(store, "SELECT key FROM kv_entries")) == 100 - 40 + 1
    for name in ("w2", "w3"):
        await anyio.sleep(0.1)
        await store.put(name, {}, collection="t")
    rows = raw_rows(store, "SELECT key FROM kv_entries ORDER BY key")
    assert [row["key"] for row in rows] == ["w1", "w2", "w3"]


# --- enumeration -------------------------------------------------------------------------


async def test_keys_and_collections_are_ordered_and_paginated(store: ChDBStore) -> None:
    keys = ["b", "a", "c::d", "é", "\x00", "Z", "a\x00", "😀"]
    await store.put_many(keys, [{}] * len(keys), collection="c")
    assert await store.keys("c") == sorted(keys)  # UTF-8 byte order = code point order
    assert [key async for key in store.iter_keys("c", page_size=3)] == sorted(keys)
    for name in ["b", "a", "a::b", "😀"]:
        await store.put("k", {}, collection=name)
    listed = await store.collections()
    assert listed == sorted(["b", "a", "a::b", "😀", "c"])
    assert [name async for name in store.iter_collections(page_size=2)] == listed


async def test_enumeration_hides_expired_rows(store: ChDBStore) -> None:
    await store.put_many(["x", "y"], [{}, {}], collection="gone", ttl=0.2)
    await store.put("old", {}, collection="mixed", ttl=0.2)
    await store.put("new", {}, collection="mixed")
    await anyio.sleep(0.4)
    assert await store.keys("gone") == []
    assert await store.keys("mixed") == ["new"]
    assert await store.collections() == ["mixed"]
    assert await store.delete("old", collection="mixed") is False  # expired: did not exist
