"""duckdb:// beside a plain duckdb connection doing the same work with a JSON round trip.

Run: ``uv run python benchmarks/bench_duckdb.py`` (add ``--quick`` for a short run).

The baseline is duckdb used directly in the same process, on its own file and
a table of the same layout: one ``SELECT`` plus ``json.loads`` for a read, one
``INSERT OR REPLACE`` of ``json.dumps(v)`` for a write, and the same
single-statement forms kv uses for the bulk calls (lists unnested in SQL), on
a table with the same two indexes. kv
does the same engine work in a worker thread (duckdb is blocking), adds the
timestamps and checks every argument. Prints a Markdown table for
docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

import duckdb
from timing import best_ns_per_op, best_ns_per_op_async, thread_hop_ns

import kv
from kv._typecheck import typecheck_enabled

BATCH = 100


TABLE = """CREATE TABLE kv_entries (collection VARCHAR NOT NULL, key VARCHAR NOT NULL,
 value JSON NOT NULL, created_at TIMESTAMPTZ, expires_at TIMESTAMPTZ, version INT NOT NULL,
 PRIMARY KEY (collection, key))"""
GET = "SELECT value FROM kv_entries WHERE collection = ? AND key = ?"
PUT = "INSERT OR REPLACE INTO kv_entries VALUES (?, ?, ?, NULL, NULL, 1)"
GET_MANY = (
    "SELECT key, value FROM kv_entries"
    " WHERE collection = ? AND key IN (SELECT unnest(?::VARCHAR[]))"
)
PUT_MANY = (
    "INSERT OR REPLACE INTO kv_entries SELECT ?, k, v, NULL, NULL, 1"
    " FROM (SELECT unnest(?::VARCHAR[]) AS k, unnest(?::VARCHAR[]) AS v)"
)


async def operations(directory: Path, loops: int, rounds: int) -> list[tuple[str, float, float]]:
    store = kv.connect(f"duckdb://{directory}/kv.duckdb", sweep_interval=None)
    db = duckdb.connect(str(directory / "raw.duckdb"))
    db.execute(TABLE)
    db.execute("CREATE INDEX idx_c ON kv_entries (collection)")  # kv's table has both
    db.execute("CREATE INDEX idx_e ON kv_entries (expires_at)")
    keys = [f"key-{i}" for i in range(BATCH)]
    values = [{"name": "Alice", "n": i} for i in range(BATCH)]
    await store.put_many(keys, values)
    loads, dumps = json.loads, json.dumps
    c = "default_collection"
    db.execute(PUT_MANY, [c, keys, [dumps(v) for v in values]])

    def raw_get() -> None:
        for _ in range(loops):
            row = db.execute(GET, [c, "key-7"]).fetchone()
            assert row is not None
            loads(row[0])

    async def kv_get() -> None:
        for _ in range(loops):
            await store.get("key-7")

    def raw_put() -> None:
        for _ in range(loops):
            db.execute(PUT, [c, "key-7", dumps(values[7])])

    async def kv_put() -> None:
        for _ in range(loops):
            await store.put("key-7", values[7])

    batches = max(1, loops // 10)

    def raw_get_many() -> None:
        for _ in range(batches):
            found = dict(db.execute(GET_MANY, [c, keys]).fetchall())
            [loads(found[k]) for k in keys]

    async def kv_get_many() -> None:
        for _ in range(batches):
            await store.get_many(keys)

    def raw_put_many() -> None:
        for _ in range(batches):
            db.execute(PUT_MANY, [c, keys, [dumps(v) for v in values]])

    async def kv_put_many() -> None:
        for _ in range(batches):
            await store.put_many(keys, values)

    rows = []
    try:
        for name, raw, ours, count in [
            ("get", raw_get, kv_get, loops),
            ("put", raw_put, kv_put, loops),
            ("get_many (per key, 100 keys)", raw_get_many, kv_get_many, batches * BATCH),
            ("put_many (per key, 100 keys)", raw_put_many, kv_put_many, batches * BATCH),
        ]:
            # Rounds alternate, so both sides meet the same background work.
            raw_ns = ours_ns = float("inf")
            for _ in range(rounds):
                raw_ns = min(raw_ns, best_ns_per_op(raw, count, 1))
                ours_ns = min(ours_ns, await best_ns_per_op_async(ours, count, 1))
            rows.append((name, raw_ns, ours_ns))
    finally:
        db.close()
        await store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    args = parser.parse_args()
    loops, rounds = (50, 3) if args.quick else (300, 5)
    with tempfile.TemporaryDirectory() as directory:
        rows = asyncio.run(operations(Path(directory), loops, rounds))
    hop = asyncio.run(thread_hop_ns(loops, rounds))
    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    print(f"Python {sys.version.split()[0]}, runtime type checks {checks}\n")
    print("| operation | duckdb + json (µs) | duckdb:// (µs) | ratio |")
    print("|---|---:|---:|---:|")
    for name, raw_ns, ours_ns in rows:
        print(
            f"| {name} | {raw_ns / 1000:,.2f} | {ours_ns / 1000:,.2f} | {ours_ns / raw_ns:.2f}x |"
        )
    print(f"\n- one worker-thread hop (BlockingCalls, no work): {hop / 1000:,.2f} µs")


if __name__ == "__main__":
    main()
