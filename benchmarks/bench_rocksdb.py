"""rocksdb:// beside plain rocksdict doing the same work with a JSON round trip.

Run: ``uv run python benchmarks/bench_rocksdb.py`` (add ``--quick`` for a short run).

The baseline is rocksdict used directly in the same process, on its own
database directory: ``json.loads(db[k])`` for a read, ``db[k] =
json.dumps(v).encode()`` for a write, ``db.get(list)`` and one ``WriteBatch``
for the bulk calls. kv does the same engine work in a worker thread (rocksdict
is blocking), stores the py-key-value-compatible document (value plus
timestamps, key and collection) and checks every argument. Prints a Markdown
table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

from rocksdict import Rdict, WriteBatch
from timing import best_ns_per_op, best_ns_per_op_async, thread_hop_ns

import kv
from kv._typecheck import typecheck_enabled

BATCH = 100


async def operations(directory: Path, loops: int, rounds: int) -> list[tuple[str, float, float]]:
    store = kv.connect(f"rocksdb://{directory}/kv", sweep_interval=None)
    db = Rdict(str(directory / "raw"))
    keys = [f"key-{i}" for i in range(BATCH)]
    values = [{"name": "Alice", "n": i} for i in range(BATCH)]
    raw_keys: list[str | int | float | bytes | bool] = [f"default_collection::{k}" for k in keys]
    await store.put_many(keys, values)
    for raw_key, value in zip(raw_keys, values):
        db[raw_key] = json.dumps(value).encode()
    loads, dumps = json.loads, json.dumps
    one = "default_collection::key-7"

    def raw_get() -> None:
        for _ in range(loops):
            loads(db[one] or b"")

    async def kv_get() -> None:
        for _ in range(loops):
            await store.get("key-7")

    def raw_put() -> None:
        for _ in range(loops):
            db[one] = dumps(values[7]).encode()

    async def kv_put() -> None:
        for _ in range(loops):
            await store.put("key-7", values[7])

    batches = max(1, loops // BATCH)

    def raw_get_many() -> None:
        for _ in range(batches):
            [loads(found) for found in db.get(raw_keys)]  # type: ignore[union-attr]

    async def kv_get_many() -> None:
        for _ in range(batches):
            await store.get_many(keys)

    def raw_put_many() -> None:
        for _ in range(batches):
            batch = WriteBatch()
            for raw_key, value in zip(raw_keys, values):
                batch.put(raw_key, dumps(value).encode())
            db.write(batch)

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
    loops, rounds = (1_000, 3) if args.quick else (10_000, 5)
    with tempfile.TemporaryDirectory() as directory:
        rows = asyncio.run(operations(Path(directory), loops, rounds))
    hop = asyncio.run(thread_hop_ns(loops, rounds))
    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    print(f"Python {sys.version.split()[0]}, runtime type checks {checks}\n")
    print("| operation | rocksdict + json (µs) | rocksdb:// (µs) | ratio |")
    print("|---|---:|---:|---:|")
    for name, raw_ns, ours_ns in rows:
        print(
            f"| {name} | {raw_ns / 1000:,.2f} | {ours_ns / 1000:,.2f} | {ours_ns / raw_ns:.2f}x |"
        )
    print(f"\n- one worker-thread hop (BlockingCalls, no work): {hop / 1000:,.2f} µs")


if __name__ == "__main__":
    main()
