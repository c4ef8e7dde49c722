"""postgresql:// beside raw asyncpg doing the same work, against a real PostgreSQL.

Run: ``uv run python benchmarks/bench_postgresql.py`` (``--quick`` for a short run).

Starts a PostgreSQL server on a free loopback port (initdb in a temporary
directory; as root it runs as the ``postgres`` user), then measures, in one
run, per operation:

* get: ``store.get`` vs asyncpg ``fetchrow`` of the same row + ``json.loads``;
* put: ``store.put`` vs asyncpg ``execute`` of the same upsert (value
  ``json.dumps``-ed);
* get_many (100 keys): ``store.get_many`` vs one ``fetch ... = ANY($2)`` +
  ``json.loads`` of each value, answered in input order;
* put_many (100 keys): ``store.put_many`` vs one ``unnest`` upsert.

The raw side uses one dedicated asyncpg connection with prepared statements,
the fastest way asyncpg offers; the store goes through its pool. Raw and kv
runs alternate, best of several rounds each. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

import kv
from kv._typecheck import typecheck_enabled
from kv_conformance.servers import ServerProcess, postgres_bindir

BATCH = 100
PG_BIN = postgres_bindir()  # KV_POSTGRES_BIN, else the highest Debian major, else pg_config
TABLE = "bench"


def as_postgres_user() -> dict[str, Any]:
    if os.geteuid() != 0:
        return {}
    import pwd

    account = pwd.getpwnam("postgres")
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def postgres(port: int, directory: Path) -> list[str]:
    return [
        str(PG_BIN / "postgres"),
        *("-D", str(directory / "data"), "-p", str(port), "-h", "127.0.0.1", "-k"),
        *(str(directory), "-c", "fsync=off", "-c", "full_page_writes=off"),
    ]


def ready(server: ServerProcess) -> bool:
    probe = [str(PG_BIN / "pg_isready"), "-q", "-h", server.host, "-p", str(server.port)]
    return subprocess.run(probe, check=False).returncode == 0


async def best_us(
    pairs: list[tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]],
    operations: int,
    rounds: int,
) -> list[tuple[float, float]]:
    """Best microseconds per operation of (raw, kv) for each pair, runs interleaved."""
    best = [[float("inf"), float("inf")] for _ in pairs]
    for _ in range(rounds):
        for index, pair in enumerate(pairs):
            for side, run in enumerate(pair):
                start = time.perf_counter()
                await run()
                elapsed = (time.perf_counter() - start) / operations * 1e6
                best[index][side] = min(best[index][side], elapsed)
    return [(raw, ours) for raw, ours in best]


async def measure(port: int, loops: int, rounds: int) -> list[tuple[str, float, float]]:
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    store = kv.connect(f"{url}?table={TABLE}")
    keys = [f"key-{i}" for i in range(BATCH)]
    values = [{"name": "Alice", "n": i} for i in range(BATCH)]
    await store.put_many(keys, values, collection="bench")
    connection = await asyncpg.connect(url)
    table = f'"{TABLE}"'
    get_sql = (
        f"SELECT value, date_part('epoch', created_at), date_part('epoch', expires_at)"
        f" FROM {table} WHERE collection = $1 AND key = $2"
    )
    get_many_sql = (
        f"SELECT key, value, date_part('epoch', created_at), date_part('epoch', expires_at)"
        f" FROM {table} WHERE collection = $1 AND key = ANY($2::text[])"
    )
    upsert = (
        " ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value, ttl = EXCLUDED.ttl,"
        " created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at"
    )
    put_sql = (
        f"INSERT INTO {table} (collection, key, value, ttl, created_at, expires_at)"
        f" VALUES ($1, $2, $3::json, $4, to_timestamp($5), to_timestamp($6)){upsert}"
    )
    put_many_sql = (
        f"INSERT INTO {table} (collection, key, value, ttl, created_at, expires_at)"
        " SELECT $1, item.key, item.value::json, $4, to_timestamp($5), to_timestamp($6)"
        f" FROM unnest($2::text[], $3::text[]) AS item(key, value){upsert}"
    )
    get_stmt = await connection.prepare(get_sql)
    get_many_stmt = await connection.prepare(get_many_sql)
    put_stmt = await connection.prepare(put_sql)
    put_many_stmt = await connection.prepare(put_many_sql)
    loads, dumps = json.loads, json.dumps
    batches = max(1, loops // BATCH)

    async def raw_get() -> None:
        for _ in range(loops):
            row = await get_stmt.fetchrow("bench", "key-7")
            assert row is not None
            loads(row[0])

    async def kv_get() -> None:
        for _ in range(loops):
            await store.get("key-7", collection="bench")

    async def raw_put() -> None:
        for _ in range(loops):
            await put_stmt.fetch("bench", "key-7", dumps(values[7]), None, time.time(), None)

    async def kv_put() -> None:
        for _ in range(loops):
            await store.put("key-7", values[7], collection="bench")

    async def raw_get_many() -> None:
        for _ in range(batches):
            rows = await get_many_stmt.fetch("bench", keys)
            found = {row[0]: loads(row[1]) for row in rows}
            [found.get(key) for key in keys]

    async def kv_get_many() -> None:
        for _ in range(batches):
            await store.get_many(keys, collection="bench")

    async def raw_put_many() -> None:
        for _ in range(batches):
            texts = [dumps(value) for value in values]
            await put_many_stmt.fetch("bench", keys, texts, None, time.time(), None)

    async def kv_put_many() -> None:
        for _ in range(batches):
            await store.put_many(keys, values, collection="bench")

    try:
        single = await best_us([(raw_get, kv_get), (raw_put, kv_put)], loops, rounds)
        bulk = await best_us(
            [(raw_get_many, kv_get_many), (raw_put_many, kv_put_many)], batches * BATCH, rounds
        )
    finally:
        await store.close()
        await connection.close()
    names = ["get", "put", f"get_many (per key, {BATCH} keys)", f"put_many (per key, {BATCH} keys)"]
    return [(name, raw, ours) for name, (raw, ours) in zip(names, single + bulk)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    args = parser.parse_args()
    loops, rounds = (300, 3) if args.quick else (3_000, 7)
    server = ServerProcess(
        "postgres-bench", postgres, ready=ready, stop_signal=signal.SIGINT, user="postgres"
    )
    initdb = [str(PG_BIN / "initdb"), "-D", str(server.directory / "data"), "-U", "postgres"]
    initdb += ["-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]
    try:
        subprocess.run(initdb, check=True, capture_output=True, **as_postgres_user())
        server.start()
        rows = asyncio.run(measure(server.port, loops, rounds))
    finally:
        server.cleanup()
    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    python = sys.version.split()[0]
    print(f"Python {python}, PostgreSQL ({PG_BIN}) on loopback, type checks {checks}\n")
    print("| operation | asyncpg + json (µs) | postgresql:// (µs) | ratio |")
    print("|---|---:|---:|---:|")
    for name, raw, ours in rows:
        print(f"| {name} | {raw:,.1f} | {ours:,.1f} | {ours / raw:.2f}x |")


if __name__ == "__main__":
    main()
