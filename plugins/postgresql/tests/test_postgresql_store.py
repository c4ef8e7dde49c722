"""What is special about ``postgresql://`` beyond the conformance suite.

Table layout, names and values PostgreSQL cannot hold as they are, single
statements for bulk calls, ordered paged enumeration, reclaiming expired rows,
what ``destroy`` touches, URLs and options, errors.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

import kv
from kv_conformance.cases import ODD_NAMES
from kv_conformance.servers import ServerProcess, free_port
from kv_postgresql import POSTGRESQL_CAPABILITIES
from kv_postgresql.names import decode_name, encode_name
from kv_postgresql.pool import ConnectionPool
from kv_postgresql.sql import index_name
from kv_postgresql.store import PostgreSQLStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # asyncpg is an asyncio library


@pytest.fixture
def table(postgres_server: ServerProcess, pg: Any) -> str:
    return str(pg.unique_table())


@pytest.fixture
def url(postgres_server: ServerProcess, pg: Any, table: str) -> str:
    return f"{pg.dsn(postgres_server)}?table={table}"


@pytest.fixture
async def store(url: str, raw_pg: asyncpg.Connection, table: str) -> AsyncIterator[PostgreSQLStore]:
    store = kv.connect(url)
    assert isinstance(store, PostgreSQLStore)
    yield store
    await store.close()
    await raw_pg.execute(f'DROP TABLE IF EXISTS "{table}"')


async def rows(raw: asyncpg.Connection, table: str) -> list[tuple[Any, ...]]:
    found = await raw.fetch(
        f'SELECT collection, key, value FROM "{table}" ORDER BY collection, key'
    )
    return [tuple(row) for row in found]


# --- layout ---------------------------------------------------------------------------


async def test_table_layout_is_py_key_value_s(
    store: PostgreSQLStore, raw_pg: asyncpg.Connection, table: str
) -> None:
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=60)
    await store.put("bob", {"name": "Bob"}, collection="users")
    columns = await raw_pg.fetch(
        "SELECT attname, format_type(atttypid, NULL), attnotnull FROM pg_attribute"
        " WHERE attrelid = to_regclass($1) AND attnum > 0 ORDER BY attnum",
        f'"{table}"',
    )
    assert [tuple(column) for column in columns] == [
        ("collection", "text", True),
        ("key", "text", True),
        ("value", "json", True),
        ("ttl", "double precision", False),
        ("created_at", "timestamp with time zone", False),
        ("expires_at", "timestamp with time zone", False),
    ]
    indexes = await raw_pg.fetch("SELECT indexname FROM pg_indexes WHERE tablename = $1", table)
    assert {row[0] for row in indexes} == {f"{table}_pkey", index_name(table)}
    row = await raw_pg.fetchrow(
        f'SELECT value, ttl, created_at, expires_at - created_at AS span FROM "{table}"'
        " WHERE key = 'alice'"
    )
    assert row is not None
    assert json.loads(row["value"]) == {"name": "Alice"}
    assert row["ttl"] == 60
    assert abs(row["created_at"].timestamp() - time.time()) < 30
    assert row["span"].total_seconds() == pytest.approx(60, abs=0.001)
    bob = await raw_pg.fetchrow(f"SELECT ttl, expires_at FROM \"{table}\" WHERE key = 'bob'")
    assert bob is not None
    assert (bob["ttl"], bob["expires_at"]) == (None, None)


def test_long_table_names_get_py_key_value_s_hashed_index_name() -> None:
    assert index_name("kv_store") == "idx_kv_store_expires_at"
    long = "t" * 63
    assert index_name(long).startswith("idx_")
    assert len(index_name(long)) <= 63


async def test_existing_tables_of_other_shapes_are_refused(
    postgres_server: ServerProcess, pg: Any, raw_pg: asyncpg.Connection, table: str
) -> None:
    await raw_pg.execute(f'CREATE TABLE "{table}" (collection TEXT, key TEXT, value BYTEA)')
    store = kv.connect(f"{pg.dsn(postgres_server)}?table={table}")
    try:
        with pytest.raises(kv.StoreSetupError, match="value"):
            await store.get("k")
    finally:
        await store.close()
        await raw_pg.execute(f'DROP TABLE "{table}"')


async def test_missing_table_without_create_table_is_a_setup_error(
    postgres_server: ServerProcess, pg: Any, table: str
) -> None:
    store = kv.connect(f"{pg.dsn(postgres_server)}?table={table}&create_table=false")
    try:
        with pytest.raises(kv.StoreSetupError, match="does not exist"):
            await store.put("k", {"v": 1})
    finally:
        await store.close()


async def test_identifiers_are_quoted_and_schemas_work(
    postgres_server: ServerProcess, pg: Any, raw_pg: asyncpg.Connection
) -> None:
    await raw_pg.execute('CREATE SCHEMA IF NOT EXISTS "App"')
    upper = kv.connect(f"{pg.dsn(postgres_server)}?table=CamelCase&schema=App")
    lower = kv.connect(f"{pg.dsn(postgres_server)}?table=camelcase&schema=App")
    try:
        await upper.put("k", {"in": "upper"})
        await lower.put("k", {"in": "lower"})
        assert await upper.get("k") == {"in": "upper"}
        assert await raw_pg.fetchval('SELECT count(*) FROM "App"."CamelCase"') == 1
        assert await raw_pg.fetchval('SELECT count(*) FROM "App".camelcase') == 1
    finally:
        await upper.close()
        await lower.close()
        await raw_pg.execute('DROP SCHEMA "App" CASCADE')


@pytest.mark.parametrize(
    "name", ["bad-name", "1digit", "x" * 64, 'a"b', "kv; DROP TABLE x", "", "naïve", "a b"]
)
def test_bad_table_or_schema_names_are_invalid_options(name: str) -> None:
    with pytest.raises(kv.InvalidOptionError, match="table"):
        kv.connect("postgresql://h/db", table=name)
    with pytest.raises(kv.InvalidOptionError, match="schema"):
        PostgreSQLStore("postgresql://h/db", schema=name)


async def test_concurrent_first_use_creates_the_table_once(
    postgres_server: ServerProcess, pg: Any, raw_pg: asyncpg.Connection, table: str
) -> None:
    stores = [kv.connect(f"{pg.dsn(postgres_server)}?table={table}") for _ in range(6)]
    try:
        await asyncio.gather(*(s.put(f"k{i}", {"i": i}) for i, s in enumerate(stores)))
        assert await raw_pg.fetchval(f'SELECT count(*) FROM "{table}"') == 6
    finally:
        for s in stores:
            await s.close()
        await raw_pg.execute(f'DROP TABLE "{table}"')


# --- names and values -------------------------------------------------------------------


def test_name_encoding_is_reversible_and_leaves_plain_names_alone() -> None:
    for name in [*ODD_NAMES.values(), "\x01", "\x01%00", "%00", "%25", "a\x00%\x00", "\x00\x01"]:
        assert decode_name(encode_name(name)) == name
        assert "\x00" not in encode_name(name)
    assert encode_name("plain::name/%00") == "plain::name/%00"
    stored = {encode_name(name) for name in ["a\x00b", "\x01a%00b", "a%00b", "\x01a\x00b"]}
    assert len(stored) == 4  # never two names in one row


async def test_nul_in_names_is_encoded_and_listed_back(
    store: PostgreSQLStore, raw_pg: asyncpg.Connection, table: str
) -> None:
    names = ["a\x00b", "\x01a%00b", "a%00b", "\x00", "plain"]
    for name in names:
        await store.put(name, {"name": name}, collection="c\x00d")
    await store.put("k", {"v": 1}, collection="c")
    assert sorted(await store.keys("c\x00d")) == sorted(names)
    assert set(await store.collections()) == {"c\x00d", "c"}
    for name in names:
        assert await store.get(name, collection="c\x00d") == {"name": name}
    stored = await rows(raw_pg, table)
    assert ("\x01c%00d", "\x01a%00b", '{"name":"a\\u0000b"}') in stored
    assert ("\x01c%00d", "a%00b", '{"name":"a%00b"}') in stored
    assert ("c", "k", '{"v":1}') in stored
    assert await store.destroy_collection("c\x00d") is True
    assert await store.keys("c\x00d") == []


async def test_nul_and_exact_numbers_in_values_are_kept(store: PostgreSQLStore) -> None:
    value = {"nul": "a\x00b", "NUL\x00key": 1, "big": 2**63 + 1, "huge": 1.7e308, "tiny": 5e-324}
    await store.put("k", value)
    await store.put_many(["a", "b"], [value, {"n": "\x00"}])
    assert await store.get("k") == value
    assert await store.get_many(["a", "b"]) == [value, {"n": "\x00"}]


async def test_jsonb_table_refuses_nul_values_cleanly(
    postgres_server: ServerProcess, pg: Any, raw_pg: asyncpg.Connection, table: str
) -> None:
    await raw_pg.execute(
        f'CREATE TABLE "{table}" (collection TEXT NOT NULL, key TEXT NOT NULL,'
        " value JSONB NOT NULL, ttl DOUBLE PRECISION, created_at TIMESTAMPTZ,"
        " expires_at TIMESTAMPTZ, PRIMARY KEY (collection, key))"
    )
    store = kv.connect(f"{pg.dsn(postgres_server)}?table={table}")
    try:
        await store.put("fine", {"v": "ok"})
        with pytest.raises(kv.SerializationError, match="jsonb") as caught:
            await store.put("bad", {"v": "a\x00b"})
        assert caught.value.key == "bad"
        with pytest.raises(kv.SerializationError):
            await store.put_many(["x", "bad"], [{"v": 1}, {"v": "\x00"}])
        assert await store.get_many(["fine", "bad", "x"]) == [{"v": "ok"}, None, None]
    finally:
        await store.close()
        await raw_pg.execute(f'DROP TABLE "{table}"')


async def test_sql_in_names_is_stored_literally(
    store: PostgreSQLStore, raw_pg: asyncpg.Connection, table: str
) -> None:
    names = ["'; DROP TABLE kv_store; --", '"); DELETE FROM x; --', "$1", "%", "_", "?"]
    await store.put_many(names, [{"n": n} for n in names], collection="'; --")
    assert sorted(await store.keys("'; --")) == sorted(names)
    assert await raw_pg.fetchval(f'SELECT count(*) FROM "{table}"') == len(names)


# --- bulk, enumeration, expiry -------------------------------------------------------------


def count_statements(store: PostgreSQLStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every statement the store sends through its pool."""
    assert store.options.pool is None  # the store's own pool (one per event loop)
    sent: list[str] = []
    for method in ("execute", "fetch", "fetchrow", "fetchval"):
        original: Callable[..., Any] = getattr(ConnectionPool, method)

        def recording(
            pool: Any, query: str, *args: Any, _original: Any = original, **kw: Any
        ) -> Any:
            sent.append(query)
            return _original(pool, query, *args, **kw)

        monkeypatch.setattr(ConnectionPool, method, recording)
    return sent


async def test_bulk_calls_are_single_statements(
    store: PostgreSQLStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.setup()
    store.configure_sweep(interval=None)  # the sweep is a second statement, once a minute
    sent = count_statements(store, monkeypatch)
    keys = [f"k{i}" for i in range(2500)]
    await store.put_many([*keys, "k0"], [*({"i": i} for i in range(2500)), {"i": -1}], ttl=60)
    assert len(sent) == 1
    assert "unnest" in sent[0]
    got = await store.get_many(["missing", *keys, "k7"])
    assert got == [None, {"i": -1}, *({"i": i} for i in range(1, 2500)), {"i": 7}]
    assert len(sent) == 2
    assert await store.delete_many([*keys, *keys, "missing"]) == 2500
    assert len(sent) == 3


async def test_enumeration_is_ordered_and_paged(
    store: PostgreSQLStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [f"k{i:03d}" for i in range(23)]
    await store.put_many(list(reversed(keys)), [{}] * 23, collection="paged")
    sent = count_statements(store, monkeypatch)
    assert [key async for key in store.iter_keys("paged", page_size=4)] == keys
    assert len(sent) == 6  # ceil(23 / 4) pages, each one keyset query
    names = [f"c{i:02d}" for i in range(9)]
    for name in names:
        await store.put("k", {}, collection=name)
    walked = [name async for name in store.iter_collections(page_size=2)]
    assert walked == [*names, "paged"]


async def test_a_limit_reads_one_page_of_its_size_and_leaves_nothing_behind(
    store: PostgreSQLStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [f"k{i:04d}" for i in range(2500)]
    await store.put_many(keys, [{}] * len(keys), collection="big")
    for name in ("a", "b", "c"):
        await store.put("k", {}, collection=name)
    sent = count_statements(store, monkeypatch)
    for limit in (1, 10, 999, 1000, 1001, 2500, 3000):
        del sent[:]
        tasks = len(asyncio.all_tasks())
        assert await store.keys("big", limit=limit) == keys[:limit]
        # No walk is left for the loop's finalizer to close (it would make a task
        # in the next loop iteration, one per call).
        await asyncio.sleep(0)
        assert len(asyncio.all_tasks()) == tasks, limit
        assert len(sent) == -(-min(limit, 2500) // 1000), (limit, len(sent))  # pages of 1000
    assert await store.keys("big") == keys
    tasks = len(asyncio.all_tasks())
    assert await store.collections(limit=2) == ["a", "b"]
    await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) == tasks


async def test_pages_continue_after_the_stored_name_not_the_name_read(
    store: PostgreSQLStore, raw_pg: asyncpg.Connection, table: str
) -> None:
    """A row another writer stored as ``"\\x01zz"`` reads as ``"zz"``; the next page
    starts after the stored name, so the keys sorting between the two are listed."""
    await store.put_many(["a", "b", "c"], [{}] * 3, collection="c")
    await store.put("k", {}, collection="a")
    insert = f'INSERT INTO "{table}" (collection, key, value) VALUES ($1, $2, $3)'
    await raw_pg.execute(insert, "c", "\x01zz", "{}")  # as py-key-value stores it
    await raw_pg.execute(insert, "\x01zz", "k", "{}")
    keys = [key async for key in store.iter_keys("c", page_size=1)]
    assert sorted(keys) == ["a", "b", "c", "zz"]
    collections = [name async for name in store.iter_collections(page_size=1)]
    assert sorted(collections) == ["a", "c", "zz"]


async def test_expired_rows_are_hidden_then_culled(
    store: PostgreSQLStore, raw_pg: asyncpg.Connection, table: str
) -> None:
    await store.put_many(["gone1", "gone2"], [{}, {}], collection="ttl", ttl=60)
    await store.put("live", {}, collection="ttl")
    await store.put("gone3", {}, collection="only-expired", ttl=60)
    await raw_pg.execute(
        f"UPDATE \"{table}\" SET expires_at = now() - interval '1 second' WHERE key LIKE 'gone%'"
    )
    assert await store.get("gone1", collection="ttl") is None
    assert await store.keys("ttl") == ["live"]
    assert "only-expired" not in await store.collections()
    assert await store.delete("gone2", collection="ttl") is False  # it had expired
    assert await store.delete_many(["gone1", "live"], collection="ttl") == 1
    assert await raw_pg.fetchval(f'SELECT count(*) FROM "{table}"') == 1  # gone3
    assert await store.cull() == 1
    assert await store.cull() == 0


async def test_writes_sweep_a_bounded_number_of_expired_rows(
    url: str, raw_pg: asyncpg.Connection, table: str
) -> None:
    store = kv.connect(f"{url}&sweep_interval=0.05&sweep_limit=3")
    try:
        await store.put_many([f"e{i}" for i in range(10)], [{}] * 10, ttl=60)
        await raw_pg.execute(f"UPDATE \"{table}\" SET expires_at = now() - interval '1 second'")
        await asyncio.sleep(0.1)
        await store.put("live", {})
        assert await raw_pg.fetchval(f'SELECT count(*) FROM "{table}"') == 1 + 10 - 3
        await asyncio.sleep(0.1)
        await store.put("live", {})
        assert await raw_pg.fetchval(f'SELECT count(*) FROM "{table}"') == 1 + 10 - 6
    finally:
        await store.close()
        await raw_pg.execute(f'DROP TABLE "{table}"')


async def test_destroy_empties_only_its_own_table(
    postgres_server: ServerProcess, pg: Any, raw_pg: asyncpg.Connection
) -> None:
    one_table, two_table = pg.unique_table(), pg.unique_table()
    one = kv.connect(f"{pg.dsn(postgres_server)}?table={one_table}")
    two = kv.connect(f"{pg.dsn(postgres_server)}?table={two_table}")
    try:
        await one.put("k", {"in": "one"})
        await two.put("k", {"in": "two"})
        assert await one.destroy() is True  # type: ignore[attr-defined]
        assert await one.destroy() is False  # type: ignore[attr-defined]
        assert await one.get("k") is None
        assert await two.get("k") == {"in": "two"}
        assert await raw_pg.fetchval("SELECT to_regclass($1) IS NOT NULL", one_table)
    finally:
        await one.close()
        await two.close()
        await raw_pg.execute(f'DROP TABLE "{one_table}", "{two_table}"')


# --- failures -------------------------------------------------------------------------------


async def test_no_server_is_a_connection_error_without_the_password() -> None:
    port = free_port()
    store = kv.connect(f"postgresql://app:s3cret@127.0.0.1:{port}/db?connect_timeout=2")
    assert "s3cret" not in repr(store)
    with pytest.raises(kv.StoreConnectionError) as caught:
        await store.get("k")
    assert "s3cret" not in str(caught.value)
    assert str(port) in str(caught.value)
    await store.close()


async def test_statement_timeout_is_a_timeout_and_the_store_recovers(
    store: PostgreSQLStore, url: str, raw_pg: asyncpg.Connection, table: str
) -> None:
    await store.put("k", {"v": 1})
    quick = kv.connect(f"{url}&command_timeout=0.3")
    try:
        async with raw_pg.transaction():
            await raw_pg.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
            started = time.monotonic()
            with pytest.raises(kv.StoreTimeoutError):
                await quick.get("k")
            assert time.monotonic() - started < 5
        assert await quick.get("k") == {"v": 1}
        await quick.put("k", {"v": 2})
        assert await store.get("k") == {"v": 2}
    finally:
        await quick.close()


async def test_a_cancelled_call_frees_its_connection(
    url: str, raw_pg: asyncpg.Connection, table: str
) -> None:
    store = kv.connect(f"{url}&max_size=1")
    try:
        await store.put("k", {"v": 1})
        async with raw_pg.transaction():
            await raw_pg.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
            for _ in range(3):  # with one connection, a leaked slot would hang here
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(store.get("k"), 0.2)
        assert await store.get("k") == {"v": 1}
        await store.put("k", {"v": 2})
        assert await store.get("k") == {"v": 2}
    finally:
        await store.close()
        await raw_pg.execute(f'DROP TABLE IF EXISTS "{table}"')


async def test_read_only_database_is_a_read_only_error(
    postgres_server: ServerProcess, pg: Any, raw_pg: asyncpg.Connection
) -> None:
    await raw_pg.execute("DROP DATABASE IF EXISTS kv_read_only")
    await raw_pg.execute("CREATE DATABASE kv_read_only")
    url = f"{pg.dsn(postgres_server, 'kv_read_only')}"
    writer = kv.connect(url)
    await writer.put("k", {"v": 1})
    await writer.close()
    await raw_pg.execute("ALTER DATABASE kv_read_only SET default_transaction_read_only = on")
    reader = kv.connect(url)
    try:
        assert await reader.get("k") == {"v": 1}
        with pytest.raises(kv.ReadOnlyError) as caught:
            await reader.put("k", {"v": 2})
        assert caught.value.key == "k"
    finally:
        await reader.close()
        await raw_pg.execute("DROP DATABASE kv_read_only")


async def test_a_pool_passed_in_is_used_and_left_open(
    postgres_server: ServerProcess, pg: Any, table: str, raw_pg: asyncpg.Connection
) -> None:
    pool = await asyncpg.create_pool(pg.dsn(postgres_server), min_size=1, max_size=2)
    try:
        store = kv.connect(f"postgresql://ignored/db?table={table}", pool=pool)
        await store.put("k", {"v": 1})
        await store.close()
        assert await pool.fetchval(f'SELECT count(*) FROM "{table}"') == 1
        assert await store.get("k") == {"v": 1}  # reopens on the same pool
        await store.close()
    finally:
        await pool.close()
        await raw_pg.execute(f'DROP TABLE "{table}"')


# --- URLs and options -----------------------------------------------------------------------


def test_url_forms() -> None:
    store = kv.connect("postgres://app:pw@db1,db2:5433/appdb?table=cache&schema=s&sslmode=require")
    assert isinstance(store, PostgreSQLStore)
    args = dict(store._connect_args)
    password = args.pop("password")
    assert args == {
        "host": ["db1", "db2"],
        "port": [5432, 5433],
        "user": "app",
        "database": "appdb",
        "ssl": "require",
    }
    assert password() == "pw"  # a callable asyncpg calls when it connects
    assert "pw" not in repr(store._connect_args)
    assert store.qualified_table == '"s"."cache"'
    assert (
        repr(store)
        == '<PostgreSQLStore postgresql://app@db1:5432,db2:5433/appdb table="s"."cache">'
    )
    socket = kv.connect("postgresql:///appdb?host=/var/run/postgresql")
    assert isinstance(socket, PostgreSQLStore)
    assert socket._connect_args == {"host": "/var/run/postgresql", "database": "appdb"}
    defaults = kv.connect("postgresql://")
    assert isinstance(defaults, PostgreSQLStore)
    assert defaults._connect_args == {}
    assert defaults.options.table == "kv_store"
    options = kv.connect(
        "postgresql://h/db?min_size=0&max_size=3&connect_timeout=2&command_timeout=none"
        "&create_table=no&default_collection=app&sweep_interval=none&sweep_limit=7"
    )
    assert isinstance(options, PostgreSQLStore)
    assert (
        options.options.min_size,
        options.options.max_size,
        options.options.connect_timeout,
    ) == (0, 3, 2.0)
    assert (options.options.command_timeout, options.options.create_table) == (None, False)
    assert (options.default_collection, options.sweep_interval, options.sweep_limit) == (
        "app",
        None,
        7,
    )


def test_options_are_declared_once_and_reopen_the_same_store() -> None:
    from kv_postgresql.plugin import PLUGIN, PostgreSQLOptions

    store = PostgreSQLStore(
        "postgresql://app:pw-9a1f@h1,h2:5433/db", table="x", sweep_interval=None, sweep_limit=7
    )
    assert isinstance(store.options, PostgreSQLOptions)
    assert (store.sweep_interval, store.sweep_limit) == (None, 7)
    assert "pw-9a1f" not in repr(store.options)
    assert "password=***" in repr(store.options)
    again = PostgreSQLStore(store.options)
    assert again.options == store.options
    args, again_args = dict(store._connect_args), dict(again._connect_args)
    assert args.pop("password")() == again_args.pop("password")() == "pw-9a1f"
    assert (
        args
        == again_args
        == {
            "host": ["h1", "h2"],
            "port": [5432, 5433],
            "user": "app",
            "database": "db",
        }
    )
    assert (again.options.table, again.sweep_interval, again.sweep_limit) == ("x", None, 7)
    listed = {info.name: info for info in PLUGIN.options.describe()}
    assert PLUGIN.options is PostgreSQLStore.Options
    for name in ("user", "password", "hosts", "port", "database", "table", "pool"):
        assert listed[name].doc, name


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("postgresql://h/db?unknown=1", {}),
        ("postgresql://h/db?min_size=5&max_size=2", {}),
        ("postgresql://h/db", {"max_size": 0}),
        ("postgresql://h/db", {"connect_timeout": 0}),
        ("postgresql://h/db", {"command_timeout": -1}),
        ("postgresql://h/db?sslmode=sometimes", {}),
        ("postgresql://h/db?sweep_limit=0", {}),
        ("postgresql://h/db?pool=x", {}),
        ("postgresql://h/db", {"default_collection": ""}),
    ],
)
def test_bad_options(url: str, options: dict[str, Any]) -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect(url, **options)


def test_constructor_refuses_a_query_and_other_schemes() -> None:
    with pytest.raises(kv.InvalidOptionError, match="keywords"):
        PostgreSQLStore("postgresql://h/db?table=x")
    with pytest.raises(kv.InvalidURLError):
        PostgreSQLStore("mysql://h/db")
    with pytest.raises(kv.InvalidURLError):
        PostgreSQLStore("postgresql://h/db/extra")
    assert PostgreSQLStore("postgresql://h/db", table="x").options.table == "x"


def test_capabilities() -> None:
    store = PostgreSQLStore()
    for protocol in (kv.EnumerateKeys, kv.EnumerateCollections, kv.DestroyStore, kv.Cull):
        assert isinstance(store, protocol)
    assert POSTGRESQL_CAPABILITIES.persistent
    assert not POSTGRESQL_CAPABILITIES.native_ttl


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_postgresql.plugin
        from kv import registry
        registry.resolve("postgresql")
        registry.resolve("postgres")
        assert "asyncpg" not in sys.modules, "asyncpg imported"
        assert "kv_postgresql.store" not in sys.modules, "store imported"
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_package_exports_lazily() -> None:
    import kv_postgresql

    assert kv_postgresql.PostgreSQLStore is PostgreSQLStore
    with pytest.raises(AttributeError):
        _ = kv_postgresql.NoSuchName
