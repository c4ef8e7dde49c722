"""py-key-value-aio's PostgreSQLStore and kv-postgresql share tables, both ways.

py-key-value creates its table with a JSONB value column; kv creates JSON.
Each reads the other's rows in either kind of table: the columns, their
meaning and the value text are the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from key_value.aio.stores.postgresql import PostgreSQLStore as PyKVPostgreSQLStore

import kv
from kv_conformance.servers import ServerProcess
from kv_postgresql.store import PostgreSQLStore

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning"),
]

VALUES: dict[str, dict[str, Any]] = {
    "alice": {"name": "Alice", "age": 30},
    "nested": {"a": {"b": [1, 2.5, None, True, "x"]}},
    "unicode": {"text": "Hello 世界 🌍"},
    "empty": {},
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def table(
    postgres_server: ServerProcess, pg: Any, raw_pg: asyncpg.Connection
) -> AsyncIterator[str]:
    name = str(pg.unique_table())
    yield name
    await raw_pg.execute(f'DROP TABLE IF EXISTS "{name}"')


def stores(server: ServerProcess, pg: Any, table: str) -> tuple[Any, PostgreSQLStore]:
    theirs = PyKVPostgreSQLStore(url=pg.dsn(server), table_name=table)
    ours = kv.connect(f"{pg.dsn(server)}?table={table}")
    assert isinstance(ours, PostgreSQLStore)
    return theirs, ours


async def test_kv_reads_a_table_py_key_value_made(
    postgres_server: ServerProcess, pg: Any, table: str, raw_pg: asyncpg.Connection
) -> None:
    theirs, ours = stores(postgres_server, pg, table)
    async with theirs:
        for key, value in VALUES.items():
            await theirs.put(key, value, collection="users")
        await theirs.put("expiring", {"v": 1}, collection="users", ttl=3600)
        await theirs.put("default", {"in": "default"})
    value_type = await raw_pg.fetchval(
        "SELECT format_type(atttypid, NULL) FROM pg_attribute"
        " WHERE attrelid = to_regclass($1) AND attname = 'value'",
        f'"{table}"',
    )
    assert value_type == "jsonb"
    try:
        for key, value in VALUES.items():
            assert await ours.get(key, collection="users") == value
        got, remaining = await ours.ttl("expiring", collection="users")
        assert got == {"v": 1}
        assert remaining is not None
        assert 3590 < remaining <= 3600
        assert await ours.get("default") == {"in": "default"}
        assert sorted(await ours.keys("users")) == sorted([*VALUES, "expiring"])
        assert sorted(await ours.collections()) == ["default_collection", "users"]
        # kv writes into py-key-value's JSONB table, and py-key-value reads it.
        await ours.put("from-kv", {"v": [1, 2]}, collection="users", ttl=600)
    finally:
        await ours.close()
    theirs_again, _ = stores(postgres_server, pg, table)
    async with theirs_again:
        assert await theirs_again.get("from-kv", collection="users") == {"v": [1, 2]}
        _, remaining = await theirs_again.ttl("from-kv", collection="users")
        assert remaining is not None
        assert 590 < remaining <= 600


async def test_py_key_value_reads_a_table_kv_made(
    postgres_server: ServerProcess, pg: Any, table: str
) -> None:
    theirs, ours = stores(postgres_server, pg, table)
    try:
        for key, value in VALUES.items():
            await ours.put(key, value, collection="users")
        await ours.put_many(["m1", "m2"], [{"i": 1}, {"i": 2}], collection="bulk", ttl=600)
    finally:
        await ours.close()
    async with theirs:
        for key, value in VALUES.items():
            assert await theirs.get(key, collection="users") == value
        assert await theirs.get_many(["m1", "m2"], collection="bulk") == [{"i": 1}, {"i": 2}]
        _, remaining = await theirs.ttl("m1", collection="bulk")
        assert remaining is not None
        assert 590 < remaining <= 600
        await theirs.put("from-pykv", {"v": 3}, collection="users")
    async with ours:
        assert await ours.get("from-pykv", collection="users") == {"v": 3}


async def test_long_names_in_a_table_py_key_value_made(
    postgres_server: ServerProcess, pg: Any, table: str, raw_pg: asyncpg.Connection
) -> None:
    """kv stores names too long for the primary key in py-key-value's table, unchanged.

    The table keeps py-key-value's layout and index; py-key-value still reads
    and writes its own rows beside kv's.
    """
    theirs, ours = stores(postgres_server, pg, table)
    async with theirs:
        await theirs.put("short", {"from": "pykv"}, collection="users")
    long_key = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(4_000))  # 12 000 bytes
    long_collection = "".join(chr(0x61 + (i * 31) % 26) + "é" for i in range(5_000))
    try:
        await ours.put(long_key, {"v": 1}, collection="users")
        await ours.put_many(["a", long_key], [{"a": 1}, {"b": 2}], collection=long_collection)
        assert await ours.get(long_key, collection="users") == {"v": 1}
        assert await ours.get_many(["a", long_key], collection=long_collection) == [
            {"a": 1},
            {"b": 2},
        ]
        assert sorted(await ours.keys("users")) == sorted(["short", long_key])
        assert sorted(await ours.collections()) == sorted(["users", long_collection])
        assert await ours.get("short", collection="users") == {"from": "pykv"}
    finally:
        await ours.close()
    indexes = await raw_pg.fetch(
        "SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname", table
    )
    assert any("(collection, key)" in row[0] for row in indexes)  # py-key-value's key, as made
    theirs_again, _ = stores(postgres_server, pg, table)
    async with theirs_again:
        assert await theirs_again.get("short", collection="users") == {"from": "pykv"}
        await theirs_again.put("after", {"v": 2}, collection="users")
        assert await theirs_again.get("after", collection="users") == {"v": 2}
