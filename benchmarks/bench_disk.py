"""disk:// beside raw sqlite3 and diskcache doing the same work on the same format.

Run: ``uv run python benchmarks/bench_disk.py`` (add ``--quick`` for a short run).

All three write and read the same thing: rows of a diskcache ``cache.db``
keyed ``collection::key`` whose value is the entry's JSON document
(py-key-value's DiskStore format), in a fresh temporary directory each.

* raw sqlite3: one connection (WAL, ``synchronous=NORMAL``, as diskcache);
  a get is one ``SELECT`` plus ``json.loads`` of the document; a put is
  ``json.dumps`` plus one upsert; the bulk forms use ``IN (...)`` and
  ``executemany`` in one transaction;
* diskcache: ``Cache.get`` / ``Cache.set`` with the document as a raw
  string, ``json.loads`` / ``json.dumps`` around them (no bulk API: loops,
  writes inside ``cache.transact()``);
* disk://: kv's store, every SQLite call in a worker thread (so the event
  loop is never blocked), one transaction per write.

The engines take turns, round by round, so they see the same machine load;
each figure is the best round. Prints a Markdown table for
docs/performance.md (microseconds per key).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import diskcache  # type: ignore[import-untyped]

import kv
from kv._typecheck import typecheck_enabled

BATCH = 100
COLLECTION = "bench"


def document(key: str, value: dict[str, Any]) -> str:
    """The entry document py-key-value (and kv) store for ``value``."""
    created = datetime.now(tz=timezone.utc).isoformat()
    return json.dumps(
        {"collection": COLLECTION, "created_at": created, "key": key, "value": value, "version": 1}
    )


Work = Callable[[], None] | Callable[[], Awaitable[None]]
"""One round of one operation (sync for the raw engines, async for kv)."""


async def timed_us(run: Work, operations: int) -> float:
    """Microseconds per operation for one round of ``run``."""
    start = time.perf_counter()
    result = run()
    if result is not None:
        await result
    return (time.perf_counter() - start) / operations * 1e6


UPSERT = (
    "INSERT INTO Cache (key, raw, store_time, expire_time, access_time, access_count,"
    " tag, size, mode, filename, value) VALUES (?, 1, ?, NULL, ?, 0, NULL, 0, 1, NULL, ?)"
    " ON CONFLICT (key, raw) DO UPDATE SET store_time = excluded.store_time,"
    " access_time = excluded.access_time, value = excluded.value"
)


def raw_sqlite(directory: Path, loops: int) -> dict[str, tuple[Work, int]]:
    """Raw sqlite3 on a diskcache-format table (created by diskcache itself)."""
    diskcache.Cache(str(directory), eviction_policy="none").close()
    connection = sqlite3.connect(directory / "cache.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    keys = [f"{COLLECTION}::key-{i}" for i in range(BATCH)]
    values = [{"name": "Alice", "n": i} for i in range(BATCH)]
    now = time.time()
    connection.execute("BEGIN")
    connection.executemany(UPSERT, [(k, now, now, document(k, v)) for k, v in zip(keys, values)])
    connection.execute("COMMIT")
    select = "SELECT value, expire_time FROM Cache WHERE key = ? AND raw = 1"
    select_many = (
        "SELECT key, value, expire_time FROM Cache WHERE raw = 1 AND key IN ("
        + ", ".join("?" * BATCH)
        + ")"
    )
    loads = json.loads

    def get() -> None:
        for _ in range(loops):
            row = connection.execute(select, ("bench::key-7",)).fetchone()
            loads(row[0])["value"]

    def put() -> None:
        for _ in range(loops):
            stamp = time.time()
            connection.execute(UPSERT, ("bench::key-7", stamp, stamp, document("key-7", values[7])))

    batches = max(1, loops // BATCH)

    def get_many() -> None:
        for _ in range(batches):
            found = {k: v for k, v, _ in connection.execute(select_many, keys)}
            [loads(found[k])["value"] for k in keys]

    def put_many() -> None:
        for _ in range(batches):
            stamp = time.time()
            rows = [(k, stamp, stamp, document(k, v)) for k, v in zip(keys, values)]
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(UPSERT, rows)
            connection.execute("COMMIT")

    return {
        "get": (get, loops),
        "put": (put, loops),
        "get_many": (get_many, batches * BATCH),
        "put_many": (put_many, batches * BATCH),
    }


def raw_diskcache(directory: Path, loops: int) -> dict[str, tuple[Work, int]]:
    """diskcache's own get/set with the JSON document as a raw string value."""
    cache = diskcache.Cache(str(directory), eviction_policy="none")
    keys = [f"{COLLECTION}::key-{i}" for i in range(BATCH)]
    values = [{"name": "Alice", "n": i} for i in range(BATCH)]
    for key, value in zip(keys, values):
        cache.set(key, document(key, value))
    loads = json.loads

    def get() -> None:
        for _ in range(loops):
            loads(cache.get("bench::key-7"))["value"]

    def put() -> None:
        for _ in range(loops):
            cache.set("bench::key-7", document("key-7", values[7]))

    batches = max(1, loops // BATCH)

    def get_many() -> None:
        for _ in range(batches):
            [loads(cache.get(k))["value"] for k in keys]

    def put_many() -> None:
        for _ in range(batches):
            with cache.transact():
                for k, v in zip(keys, values):
                    cache.set(k, document(k, v))

    return {
        "get": (get, loops),
        "put": (put, loops),
        "get_many": (get_many, batches * BATCH),
        "put_many": (put_many, batches * BATCH),
    }


async def kv_disk(store: kv.Store, loops: int) -> dict[str, tuple[Work, int]]:
    """kv's disk:// store doing the same work."""
    keys = [f"key-{i}" for i in range(BATCH)]
    values = [{"name": "Alice", "n": i} for i in range(BATCH)]
    await store.put_many(keys, values, collection=COLLECTION)

    async def get() -> None:
        for _ in range(loops):
            await store.get("key-7", collection=COLLECTION)

    async def put() -> None:
        for _ in range(loops):
            await store.put("key-7", values[7], collection=COLLECTION)

    batches = max(1, loops // BATCH)

    async def get_many() -> None:
        for _ in range(batches):
            await store.get_many(keys, collection=COLLECTION)

    async def put_many() -> None:
        for _ in range(batches):
            await store.put_many(keys, values, collection=COLLECTION)

    return {
        "get": (get, loops),
        "put": (put, loops),
        "get_many": (get_many, batches * BATCH),
        "put_many": (put_many, batches * BATCH),
    }


def thread_hop(loops: int) -> tuple[Work, int]:
    """One no-op call through a worker thread, as kv makes them."""
    from kv.blocking import BlockingCalls

    calls = BlockingCalls(max_threads=1)

    def nothing() -> None:
        return None

    async def hop() -> None:
        for _ in range(loops):
            await calls(nothing)

    return hop, loops


async def measure(root: Path, loops: int, rounds: int) -> dict[str, list[float]]:
    """Best of ``rounds`` per operation and engine; the engines take turns each round."""
    store = kv.connect(f"disk://{root / 'kv'}?sweep_interval=none")
    engines = [
        raw_sqlite(root / "sqlite", loops),
        raw_diskcache(root / "diskcache", loops),
        await kv_disk(store, loops),
    ]
    best: dict[str, list[float]] = {}
    for name in LABELS:
        timings: list[list[float]] = [[] for _ in engines]
        for _ in range(rounds):
            for engine, found in zip(engines, timings):
                run, operations = engine[name]
                found.append(await timed_us(run, operations))
        best[name] = [min(found) for found in timings]
    hop, operations = thread_hop(loops)
    best["hop"] = [min([await timed_us(hop, operations) for _ in range(rounds)])]
    await store.close()
    return best


LABELS = {
    "get": "get",
    "put": "put",
    "get_many": f"get_many (per key, {BATCH} keys)",
    "put_many": f"put_many (per key, {BATCH} keys)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    args = parser.parse_args()
    loops, rounds = (500, 2) if args.quick else (5_000, 5)
    with tempfile.TemporaryDirectory() as temporary:
        best = asyncio.run(measure(Path(temporary), loops, rounds))
    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version},")
    print(f"runtime type checks {checks}; microseconds per key, best of {rounds}\n")
    header = "| operation | raw sqlite3 (µs) | diskcache (µs) | disk:// (µs) | vs sqlite3 |"
    print(header + " vs diskcache |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, label in LABELS.items():
        sql, dc, ours = best[name]
        print(
            f"| {label} | {sql:,.1f} | {dc:,.1f} | {ours:,.1f} |"
            f" {ours / sql:.2f}x | {ours / dc:.2f}x |"
        )
    hop = best["hop"][0]
    print(f"\nOne no-op call through a worker thread (BlockingCalls) in this run: {hop:.1f} µs.")


if __name__ == "__main__":
    main()
