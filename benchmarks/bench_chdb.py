"""chdb:// beside a plain chDB session doing the same work with a JSON round trip.

Run: ``uv run python benchmarks/bench_chdb.py`` (add ``--quick`` for a short run).

The baseline is chDB used directly in the same process (one embedded
ClickHouse per process, so on the same directory, in its own table): a
``ReplacingMergeTree`` keyed on ``k`` with a version column, ``SELECT ... FINAL``
with a bound parameter plus ``json.loads`` for a read, one ``INSERT ... FORMAT
JSONEachRow`` of ``json.dumps(v)`` for a write, and the same single-statement
forms kv uses for the bulk calls. kv does the same engine work in a worker
thread (chDB is blocking), stores the whole document with its timestamps and
checks every argument. Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

from chdb.session import Session
from timing import best_ns_per_op, best_ns_per_op_async, thread_hop_ns

import kv
from kv._typecheck import typecheck_enabled

BATCH = 100


TABLE = (
    "CREATE TABLE raw (k String, v String, version UInt64)"
    " ENGINE = ReplacingMergeTree(version) ORDER BY k"
)
GET = "SELECT v FROM raw FINAL WHERE k = {k:String}"
GET_MANY = (
    "SELECT k, v FROM raw FINAL"
    " WHERE k IN (SELECT arrayJoin(JSONExtract({keys:String}, 'Array(String)')))"
)
PUT = "INSERT INTO raw (k, v, version) FORMAT JSONEachRow\n"


def query(db: Session, sql: str, params: dict[str, object] | None = None) -> bytes:
    """``db.query`` in JSONEachRow (chDB's session API carries no annotations)."""
    data: bytes = db.query(sql, "JSONEachRow", params=params or {}).bytes()  # type: ignore[no-untyped-call]
    return data


async def operations(directory: Path, loops: int, rounds: int) -> list[tuple[str, float, float]]:
    store = kv.connect(f"chdb://{directory}/db", sweep_interval=None)
    keys = [f"key-{i}" for i in range(BATCH)]
    values = [{"name": "Alice", "n": i} for i in range(BATCH)]
    await store.put_many(keys, values)
    # The same embedded server as the store's (one per process), its own table.
    db = Session(str(directory / "db"))  # type: ignore[no-untyped-call]
    query(db, TABLE)
    loads, dumps = json.loads, json.dumps
    version = [0]

    def jsonl(pairs: list[tuple[str, dict[str, object]]]) -> str:
        version[0] += 1
        return "\n".join(dumps({"k": k, "v": dumps(v), "version": version[0]}) for k, v in pairs)

    query(db, PUT + jsonl(list(zip(keys, values))))

    def raw_get() -> None:
        for _ in range(loops):
            data = query(db, GET, {"k": "key-7"})
            loads(loads(data)["v"])

    async def kv_get() -> None:
        for _ in range(loops):
            await store.get("key-7")

    def raw_put() -> None:
        for _ in range(loops):
            query(db, PUT + jsonl([("key-7", values[7])]))

    async def kv_put() -> None:
        for _ in range(loops):
            await store.put("key-7", values[7])

    batches = max(1, loops // 10)

    def raw_get_many() -> None:
        for _ in range(batches):
            data = query(db, GET_MANY, {"keys": dumps(keys)})
            found = {row["k"]: row["v"] for row in map(loads, data.splitlines())}
            [loads(found[k]) for k in keys]

    async def kv_get_many() -> None:
        for _ in range(batches):
            await store.get_many(keys)

    def raw_put_many() -> None:
        for _ in range(batches):
            query(db, PUT + jsonl(list(zip(keys, values))))

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
            # Rounds alternate, so both sides meet the same background merges.
            raw_ns = ours_ns = float("inf")
            for _ in range(rounds):
                raw_ns = min(raw_ns, best_ns_per_op(raw, count, 1))
                ours_ns = min(ours_ns, await best_ns_per_op_async(ours, count, 1))
            rows.append((name, raw_ns, ours_ns))
    finally:
        db.close()  # type: ignore[no-untyped-call]
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
    print("| operation | chdb + json (µs) | chdb:// (µs) | ratio |")
    print("|---|---:|---:|---:|")
    for name, raw_ns, ours_ns in rows:
        print(
            f"| {name} | {raw_ns / 1000:,.2f} | {ours_ns / 1000:,.2f} | {ours_ns / raw_ns:.2f}x |"
        )
    print(f"\n- one worker-thread hop (BlockingCalls, no work): {hop / 1000:,.2f} µs")


if __name__ == "__main__":
    main()
