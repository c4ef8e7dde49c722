"""Keys and collections of any length, although a btree index entry holds about 2 700 bytes.

Names are random (incompressible: PostgreSQL compresses index entries, so a
name of one repeated character would fit anyway) and multi-byte. A pair
whose stored names take up to ``PAIR_LIMIT`` bytes is stored as it is (as
py-key-value stores it); a longer one has its long part replaced by a token
and the original kept in the row's value (see :mod:`kv_postgresql.names`).
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

import kv
from kv_conformance.servers import ServerProcess
from kv_postgresql.names import (
    PAIR_LIMIT,
    TOKEN,
    decode_name,
    encode_name,
    is_token,
    stored_collection,
    stored_key,
)
from kv_postgresql.store import PostgreSQLStore

pytestmark = pytest.mark.anyio

ALPHABET = "abcdefghijklmnopqrstuvwxyzé世🌍%\x01_-/:."


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def random_name(length: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(ALPHABET) for _ in range(length))


@pytest.fixture
async def store(
    postgres_server: ServerProcess, pg: Any, raw_pg: asyncpg.Connection
) -> AsyncIterator[PostgreSQLStore]:
    table = pg.unique_table()
    store = kv.connect(f"{pg.dsn(postgres_server)}?table={table}")
    assert isinstance(store, PostgreSQLStore)
    yield store
    await store.close()
    await raw_pg.execute(f'DROP TABLE IF EXISTS "{table}"')


async def stored_rows(raw: asyncpg.Connection, store: PostgreSQLStore) -> list[tuple[str, str]]:
    rows = await raw.fetch(f"SELECT collection, key FROM {store.qualified_table}")
    return [(row[0], row[1]) for row in rows]


def test_tokens_never_equal_a_stored_name() -> None:
    for name in ["\x01%#abc", "\x01%#" + "0" * 64, "%#", "\x00%#", "\x01"]:
        assert not is_token(encode_name(name))
        assert decode_name(encode_name(name)) == name
    long = random_name(5000, 1)
    assert is_token(stored_collection(long))
    assert stored_collection(long) == stored_collection(long)
    assert stored_collection(long) != stored_collection(long[:-1])
    assert len(stored_collection(long)) == len(TOKEN) + 64
    short = "c"
    assert stored_key(long, short).startswith(TOKEN)
    assert stored_key("k", stored_collection(long)) == "k"


def test_pairs_up_to_the_limit_are_stored_as_they_are() -> None:
    collection = "é" * 600  # 1 200 bytes
    fits = "a" * (PAIR_LIMIT - 1200)
    assert stored_collection(collection) == collection
    assert stored_key(fits, collection) == fits
    assert is_token(stored_key(fits + "a", collection))
    assert is_token(stored_key("世" * 467, collection))  # 1 401 bytes: one too many
    assert stored_key("世" * 466, collection) == "世" * 466  # 1 398 bytes


@pytest.mark.parametrize("length", [2_700, 10_000, 40_000])
async def test_long_keys_round_trip_list_and_delete(
    store: PostgreSQLStore, raw_pg: asyncpg.Connection, length: int
) -> None:
    keys = [random_name(length, seed) for seed in range(3)]
    keys.append(keys[0][:-1] + ("x" if keys[0][-1] != "x" else "y"))  # differs at the end only
    keys.append(random_name(length // 2, 99) + "\x00" + random_name(length // 2, 98))
    for index, key in enumerate(keys):
        await store.put(key, {"i": index}, collection="long-keys", ttl=600)
    await store.put("short", {"i": -1}, collection="long-keys")
    for index, key in enumerate(keys):
        assert await store.get(key, collection="long-keys") == {"i": index}
        value, remaining = await store.ttl(key, collection="long-keys")
        assert value == {"i": index}
        assert remaining is not None
        assert 590 < remaining <= 600
    assert await store.get_many([*keys, "short", "missing"], collection="long-keys") == [
        *({"i": index} for index in range(len(keys))),
        {"i": -1},
        None,
    ]
    assert sorted(await store.keys("long-keys")) == sorted([*keys, "short"])
    walked = [key async for key in store.iter_keys("long-keys", page_size=2)]
    assert sorted(walked) == sorted([*keys, "short"])
    rows = await stored_rows(raw_pg, store)
    assert ("long-keys", "short") in rows
    assert sum(is_token(key) for _, key in rows) == len(keys)
    assert await store.delete(keys[0], collection="long-keys") is True
    assert await store.delete(keys[0], collection="long-keys") is False
    assert await store.delete_many([*keys, keys[1]], collection="long-keys") == len(keys) - 1
    assert await store.keys("long-keys") == ["short"]


async def test_long_collections_round_trip_list_and_delete(
    store: PostgreSQLStore, raw_pg: asyncpg.Connection
) -> None:
    collections = [random_name(12_000, seed) for seed in range(10, 13)]
    collections.append("世" * 3_000 + "\x00")
    long_key = random_name(10_000, 20)
    for index, collection in enumerate(collections):
        await store.put_many(
            ["a", long_key, "b", "a"],
            [{"c": index}, {"long": index}, {"b": index}, {"a": index}],
            collection=collection,
        )
    await store.put("k", {"v": 0}, collection="short")
    for index, collection in enumerate(collections):
        assert await store.get_many(["a", long_key, "b"], collection=collection) == [
            {"a": index},
            {"long": index},
            {"b": index},
        ]
        assert sorted(await store.keys(collection)) == sorted(["a", "b", long_key])
    assert sorted(await store.collections()) == sorted([*collections, "short"])
    walked = [name async for name in store.iter_collections(page_size=2)]
    assert sorted(walked) == sorted([*collections, "short"])
    rows = await stored_rows(raw_pg, store)
    assert all(len(collection) < 100 for collection, _ in rows)
    assert await store.destroy_collection(collections[0]) is True
    assert await store.get("a", collection=collections[0]) is None
    assert await store.delete("a", collection=collections[1]) is True
    assert await store.delete_many(["b", long_key], collection=collections[1]) == 2
    assert collections[1] not in await store.collections()
    assert sorted(await store.collections()) == sorted([*collections[2:], "short"])


async def test_the_original_name_is_kept_in_the_row(
    store: PostgreSQLStore, raw_pg: asyncpg.Connection
) -> None:
    collection, key = random_name(3_000, 30), random_name(3_000, 31) + "\x00"
    await store.put(key, {"v": 1}, collection=collection)
    row = await raw_pg.fetchrow(f"SELECT collection, key, value FROM {store.qualified_table}")
    assert row is not None
    assert is_token(row["collection"])
    assert is_token(row["key"])
    assert json.loads(row["value"]) == {
        "c": encode_name(collection),
        "k": encode_name(key),
        "v": {"v": 1},
    }


async def test_a_damaged_wrapped_row_is_a_deserialization_error(
    store: PostgreSQLStore, raw_pg: asyncpg.Connection
) -> None:
    key = random_name(3_000, 40)
    await store.put(key, {"v": 1})
    await raw_pg.execute(f"UPDATE {store.qualified_table} SET value = '[1]'")
    with pytest.raises(kv.DeserializationError) as caught:
        await store.get(key)
    assert caught.value.key == key


async def test_a_pair_at_the_limit_is_stored_as_it_is(
    store: PostgreSQLStore, raw_pg: asyncpg.Connection
) -> None:
    rng = random.Random(50)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    collection = "".join(rng.choice(letters) for _ in range(1_000))
    key = "".join(rng.choice(letters) for _ in range(PAIR_LIMIT - 1_000))
    await store.put(key, {"v": 1}, collection=collection)
    assert await stored_rows(raw_pg, store) == [(collection, key)]
    assert await store.keys(collection) == [key]
    assert await store.get(key, collection=collection) == {"v": 1}
