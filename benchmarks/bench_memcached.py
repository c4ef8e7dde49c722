"""memcached:// beside raw aiomcache doing the same work, against a real memcached.

Run: ``uv run python benchmarks/bench_memcached.py`` (``--quick`` for a short run).

Starts a memcached on a free loopback port (``memcached`` must be installed),
then measures, in one run, per operation:

* get: ``store.get`` vs aiomcache ``get`` + ``json.loads`` of the document and
  taking its ``value`` (what reading py-key-value's layout takes at least);
* put: ``store.put`` vs building the same document (``json.dumps`` with the
  ISO timestamps) + aiomcache ``set``;
* get_many (100 keys): ``store.get_many`` vs aiomcache ``multi_get`` + decode;
* put_many (100 keys): ``store.put_many`` (one pipelined round trip) vs 100
  aiomcache ``set`` calls (aiomcache has no multi-set).

Raw and kv runs alternate, best of several rounds each. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiomcache

import kv
from kv._typecheck import typecheck_enabled
from kv_conformance.servers import ServerProcess

BATCH = 100


def memcached(port: int, directory: Path) -> list[str]:
    argv = ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "64"]
    return argv + (["-u", "root"] if os.geteuid() == 0 else [])


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


def document(collection: str, key: str, value: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "collection": collection,
            "created_at": datetime.now(tz=timezone.utc).isoformat(),
            "key": key,
            "value": value,
            "version": 1,
        },
        sort_keys=True,
    ).encode()


async def measure(port: int, loops: int, rounds: int) -> list[tuple[str, float, float]]:
    store = kv.connect(f"memcached://127.0.0.1:{port}")
    client = aiomcache.Client("127.0.0.1", port, pool_size=8)
    keys = [f"key-{i}" for i in range(BATCH)]
    values = [{"name": "Alice", "n": i} for i in range(BATCH)]
    raw_keys = [f"bench::{key}".encode() for key in keys]
    await store.put_many(keys, values, collection="bench")
    loads = json.loads
    batches = max(1, loops // BATCH)

    async def raw_get() -> None:
        for _ in range(loops):
            loads(await client.get(b"bench::key-7"))["value"]  # type: ignore[arg-type]

    async def kv_get() -> None:
        for _ in range(loops):
            await store.get("key-7", collection="bench")

    async def raw_put() -> None:
        for _ in range(loops):
            await client.set(b"bench::key-7", document("bench", "key-7", values[7]))

    async def kv_put() -> None:
        for _ in range(loops):
            await store.put("key-7", values[7], collection="bench")

    async def raw_get_many() -> None:
        for _ in range(batches):
            found = await client.multi_get(*raw_keys)
            [loads(raw)["value"] for raw in found if raw is not None]

    async def kv_get_many() -> None:
        for _ in range(batches):
            await store.get_many(keys, collection="bench")

    async def raw_put_many() -> None:
        for _ in range(batches):
            for key, raw_key, value in zip(keys, raw_keys, values):
                await client.set(raw_key, document("bench", key, value))

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
        await client.close()
    names = ["get", "put", f"get_many (per key, {BATCH} keys)", f"put_many (per key, {BATCH} keys)"]
    return [(name, raw, ours) for name, (raw, ours) in zip(names, single + bulk)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    args = parser.parse_args()
    loops, rounds = (500, 3) if args.quick else (5_000, 7)
    with ServerProcess("memcached-bench", memcached, stop_signal=signal.SIGKILL) as server:
        rows = asyncio.run(measure(server.port, loops, rounds))
    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    print(f"Python {sys.version.split()[0]}, memcached on loopback, type checks {checks}\n")
    print("| operation | aiomcache + json (µs) | memcached:// (µs) | ratio |")
    print("|---|---:|---:|---:|")
    for name, raw, ours in rows:
        print(f"| {name} | {raw:,.1f} | {ours:,.1f} | {ours / raw:.2f}x |")


if __name__ == "__main__":
    main()
