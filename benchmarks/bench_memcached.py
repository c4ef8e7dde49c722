"""memcached:// beside raw aiomcache doing the same work, against a real memcached.

Run: ``uv run python benchmarks/bench_memcached.py`` (``--quick`` for a short run,
``--trio`` to time memcached:// under trio too).

Starts a memcached on a free loopback port (``memcached`` must be installed),
then measures, in one run, per operation:

* get: ``store.get`` vs aiomcache ``get`` + ``json.loads`` of the document and
  taking its ``value`` (what reading py-key-value's layout takes at least);
* put: ``store.put`` vs building the same document (``json.dumps`` with the
  ISO timestamps) + aiomcache ``set``;
* get_many (100 keys): ``store.get_many`` vs aiomcache ``multi_get`` + decode;
* put_many (100 keys): ``store.put_many`` (one pipelined round trip) vs 100
  aiomcache ``set`` calls (aiomcache has no multi-set).

py-key-value's MemcachedStore (on aiomcache) does the same calls in the same
run (its put_many is one aiomcache ``set`` per key). Raw, kv and py-key-value
runs alternate, best of several rounds each. With ``--trio`` the store's four
calls are timed again under trio (aiomcache and py-key-value run under asyncio
only). Prints Markdown tables.
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
import anyio

import kv
from kv._typecheck import typecheck_enabled
from kv_conformance.servers import ServerProcess

BATCH = 100


def memcached(port: int, directory: Path) -> list[str]:
    argv = ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "64"]
    return argv + (["-u", "root"] if os.geteuid() == 0 else [])


Run = Callable[[], Awaitable[None]]


async def best_us(
    groups: list[tuple[Run, ...]], operations: int, rounds: int
) -> list[tuple[float, ...]]:
    """Best microseconds per operation of each side (raw, kv, ...) of each group,
    runs interleaved."""
    best = [[float("inf")] * len(group) for group in groups]
    for _ in range(rounds):
        for index, group in enumerate(groups):
            for side, run in enumerate(group):
                start = time.perf_counter()
                await run()
                elapsed = (time.perf_counter() - start) / operations * 1e6
                best[index][side] = min(best[index][side], elapsed)
    return [tuple(sides) for sides in best]


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


NAMES = ["get", "put", f"get_many (per key, {BATCH} keys)", f"put_many (per key, {BATCH} keys)"]
KEYS = [f"key-{i}" for i in range(BATCH)]
VALUES = [{"name": "Alice", "n": i} for i in range(BATCH)]


def store_runs(store: Any, loops: int) -> tuple[Run, Run, Run, Run]:
    """get, put, get_many and put_many runs of a store with py-key-value's API (kv's too)."""
    batches = max(1, loops // BATCH)

    async def get() -> None:
        for _ in range(loops):
            await store.get("key-7", collection="bench")

    async def put() -> None:
        for _ in range(loops):
            await store.put("key-7", VALUES[7], collection="bench")

    async def get_many() -> None:
        for _ in range(batches):
            await store.get_many(KEYS, collection="bench")

    async def put_many() -> None:
        for _ in range(batches):
            await store.put_many(KEYS, VALUES, collection="bench")

    return get, put, get_many, put_many


async def best_of_calls(
    sides: list[tuple[Run, Run, Run, Run]], loops: int, rounds: int
) -> list[tuple[float, ...]]:
    """Best µs per operation of each side, per call (get, put, get_many, put_many)."""
    single = await best_us([tuple(side[i] for side in sides) for i in (0, 1)], loops, rounds)
    operations = max(1, loops // BATCH) * BATCH
    bulk = await best_us([tuple(side[i] for side in sides) for i in (2, 3)], operations, rounds)
    return single + bulk


async def measure(port: int, loops: int, rounds: int) -> list[tuple[str, float, float, float]]:
    """(operation, raw µs, kv µs, py-key-value µs) rows, under asyncio."""
    from key_value.aio.stores.memcached import MemcachedStore as PyKVMemcachedStore

    store = kv.connect(f"memcached://127.0.0.1:{port}")
    client = aiomcache.Client("127.0.0.1", port, pool_size=8)
    pykv = PyKVMemcachedStore(host="127.0.0.1", port=port)
    await pykv.setup()
    raw_keys = [f"bench::{key}".encode() for key in KEYS]
    await store.put_many(KEYS, VALUES, collection="bench")
    loads = json.loads
    batches = max(1, loops // BATCH)

    async def raw_get() -> None:
        for _ in range(loops):
            loads(await client.get(b"bench::key-7"))["value"]  # type: ignore[arg-type]

    async def raw_put() -> None:
        for _ in range(loops):
            await client.set(b"bench::key-7", document("bench", "key-7", VALUES[7]))

    async def raw_get_many() -> None:
        for _ in range(batches):
            found = await client.multi_get(*raw_keys)
            [loads(raw)["value"] for raw in found if raw is not None]

    async def raw_put_many() -> None:
        for _ in range(batches):
            for key, raw_key, value in zip(KEYS, raw_keys, VALUES):
                await client.set(raw_key, document("bench", key, value))

    raw = (raw_get, raw_put, raw_get_many, raw_put_many)
    try:
        best = await best_of_calls(
            [raw, store_runs(store, loops), store_runs(pykv, loops)], loops, rounds
        )
    finally:
        await store.close()
        await client.close()
        await pykv.close()
    return [(name, raw, ours, theirs) for name, (raw, ours, theirs) in zip(NAMES, best)]


async def measure_kv(port: int, loops: int, rounds: int) -> list[float]:
    """kv's µs per operation of the four calls, in the running event loop (trio)."""
    store = kv.connect(f"memcached://127.0.0.1:{port}")
    await store.put_many(KEYS, VALUES, collection="bench")
    try:
        best = await best_of_calls([store_runs(store, loops)], loops, rounds)
    finally:
        await store.close()
    return [sides[0] for sides in best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    parser.add_argument("--trio", action="store_true", help="time memcached:// under trio too")
    args = parser.parse_args()
    loops, rounds = (500, 3) if args.quick else (5_000, 7)
    with ServerProcess("memcached-bench", memcached, stop_signal=signal.SIGKILL) as server:
        rows = asyncio.run(measure(server.port, loops, rounds))
        trio_rows = (
            anyio.run(measure_kv, server.port, loops, rounds, backend="trio") if args.trio else []
        )
    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    print(f"Python {sys.version.split()[0]}, memcached on loopback, type checks {checks}\n")
    print(
        "| operation | aiomcache + json (µs) | memcached:// (µs) | ratio"
        " | py-key-value (µs) | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, raw, ours, theirs in rows:
        print(
            f"| {name} | {raw:,.1f} | {ours:,.1f} | {ours / raw:.2f}x"
            f" | {theirs:,.1f} | {theirs / raw:.2f}x |"
        )
    if trio_rows:
        print("\n| operation | memcached:// under asyncio (µs) | under trio (µs) |")
        print("|---|---:|---:|")
        for (name, _, ours, _), under_trio in zip(rows, trio_rows):
            print(f"| {name} | {ours:,.1f} | {under_trio:,.1f} |")


if __name__ == "__main__":
    main()
