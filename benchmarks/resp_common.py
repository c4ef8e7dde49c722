"""The benchmark of bench_redis.py and bench_valkey.py: a kv RESP store beside its raw client.

Both scripts start a real server on a free loopback port and run the same
work through the kv store and through the raw asyncio client of the same
library (same connection settings), in one run, alternating:

* get: ``store.get`` vs raw ``GET`` + ``json.loads`` of the stored document,
  taking its ``value``;
* put: ``store.put`` vs building the same document (``json.dumps`` with the
  ISO timestamps) + raw ``SET``;
* get_many (100 keys, per key): ``store.get_many`` vs raw ``MGET`` +
  ``json.loads`` of each document;
* put_many (100 keys, per key, 60 s TTL): ``store.put_many`` vs a raw
  pipeline of ``SET ... PX``;
* delete_many (100 keys, per key): ``store.delete_many`` vs raw ``DEL``.

The raw client is built with exactly the store's connection settings
(:func:`kv_resp.build_client`). The two sides alternate in short chunks and
each figure is the median over the chunks, so background load hits both
alike.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import kv
from kv._typecheck import typecheck_enabled
from kv_conformance.servers import ServerProcess
from kv_resp import build_client

BATCH = 100
VALUE: dict[str, Any] = {"name": "Alice", "age": 30, "tags": ["a", "b"], "active": True}
TARGETS = {"get": 1.1, "put": 1.1, "get_many (per key, 100 keys)": 1.3}

Run = Callable[[], Awaitable[None]]


def server_command(binary: str) -> Callable[[int, Path], list[str]]:
    """A standalone server without persistence on ``port``."""

    def command(port: int, directory: Path) -> list[str]:
        address = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory)]
        return [binary, *address, "--save", "", "--appendonly", "no"]

    return command


def document(collection: str, key: str, value: dict[str, Any], ttl: float | None = None) -> str:
    """py-key-value's document, as a raw client writing that layout must build it."""
    now = datetime.now(tz=timezone.utc)
    fields: dict[str, Any] = {
        "collection": collection,
        "created_at": now.isoformat(),
        "key": key,
        "value": value,
        "version": 1,
    }
    if ttl is not None:
        fields["expires_at"] = datetime.fromtimestamp(now.timestamp() + ttl, tz=timezone.utc)
        fields["expires_at"] = fields["expires_at"].isoformat()
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


async def per_op_us(
    pairs: Sequence[tuple[Run, Run]], operations: Sequence[int], rounds: int
) -> list[tuple[float, float, float]]:
    """(raw µs, kv µs, kv/raw ratio) per operation for each pair.

    The two sides alternate in short chunks (``rounds`` of them, the side that
    goes first swapping every round), so both see the same background load.
    The times are medians over the chunks; the ratio is the median of the
    ratios of chunks run back to back, which cancels slow spells that hit
    both sides.
    """
    samples: list[tuple[list[float], list[float]]] = [([], []) for _ in pairs]
    for round_number in range(rounds):
        for index, pair in enumerate(pairs):
            order = (0, 1) if round_number % 2 == 0 else (1, 0)
            for side in order:
                start = time.perf_counter()
                await pair[side]()
                elapsed = (time.perf_counter() - start) / operations[index] * 1e6
                samples[index][side].append(elapsed)
    return [
        (
            statistics.median(raw),
            statistics.median(ours),
            statistics.median(o / r for r, o in zip(raw, ours)),
        )
        for raw, ours in samples
    ]


async def measure(
    store: Any, raw: Any, loops: int, rounds: int
) -> list[tuple[str, float, float, float]]:
    """Time ``store`` and the raw client doing the same work on one server."""
    collection = "bench"
    keys = [f"key-{i}" for i in range(BATCH)]
    names = [f"{collection}::{key}" for key in keys]
    values = [dict(VALUE, n=i) for i in range(BATCH)]
    await store.put_many(keys, values, collection=collection)
    loads, dumps_doc = json.loads, document
    batches = max(1, loops // BATCH)
    refill = {
        name: document(collection, key, value) for name, key, value in zip(names, keys, values)
    }

    async def raw_get() -> None:
        for _ in range(loops):
            loads(await raw.get("bench::key-7"))["value"]

    async def kv_get() -> None:
        for _ in range(loops):
            await store.get("key-7", collection=collection)

    async def raw_put() -> None:
        for _ in range(loops):
            await raw.set("bench::key-8", dumps_doc(collection, "key-8", VALUE))

    async def kv_put() -> None:
        for _ in range(loops):
            await store.put("key-8", VALUE, collection=collection)

    async def raw_get_many() -> None:
        for _ in range(batches):
            [loads(raw_doc)["value"] for raw_doc in await raw.mget(names)]

    async def kv_get_many() -> None:
        for _ in range(batches):
            await store.get_many(keys, collection=collection)

    async def raw_put_many() -> None:
        for _ in range(batches):
            pipe = raw.pipeline(transaction=False)
            for name, key, value in zip(names, keys, values):
                pipe.set(name, dumps_doc(collection, key, value, 60), px=60_000)
            await pipe.execute()

    async def kv_put_many() -> None:
        for _ in range(batches):
            await store.put_many(keys, values, collection=collection, ttl=60)

    async def raw_delete_many() -> None:
        for _ in range(batches):
            await raw.delete(*names)
            await raw.mset(refill)  # the same refill on both sides

    async def kv_delete_many() -> None:
        for _ in range(batches):
            await store.delete_many(keys, collection=collection)
            await raw.mset(refill)

    await kv_get()  # warm up: connections, type checks
    rows = [
        ("get", raw_get, kv_get, loops),
        ("put", raw_put, kv_put, loops),
        ("get_many (per key, 100 keys)", raw_get_many, kv_get_many, batches * BATCH),
        ("put_many (per key, 100 keys, TTL)", raw_put_many, kv_put_many, batches * BATCH),
        (
            "delete_many + refill (per key, 100 keys)",
            raw_delete_many,
            kv_delete_many,
            batches * BATCH,
        ),
    ]
    results = await per_op_us(
        [(raw_run, kv_run) for _, raw_run, kv_run, _ in rows],
        [count for *_, count in rows],
        rounds,
    )
    await store.destroy()
    await store.close()
    return [(row[0], *result) for row, result in zip(rows, results)]


def report(title: str, raw_name: str, rows: list[tuple[str, float, float, float]]) -> bool:
    """Print the Markdown table; return whether every target holds."""
    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    print(f"{title} (Python {sys.version.split()[0]}, runtime type checks {checks})\n")
    print(f"| operation | {raw_name} (µs) | kv (µs) | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    ok = True
    for name, raw_us, kv_us, ratio in rows:
        target = TARGETS.get(name)
        if target is not None and ratio > target:
            ok = False
        shown = "" if target is None else f"≤ {target}x {'✓' if ratio <= target else '✗'}"
        print(f"| {name} | {raw_us:.1f} | {kv_us:.1f} | {ratio:.2f}x | {shown} |")
    return ok


def run(
    title: str,
    raw_name: str,
    server: ServerProcess,
    scheme: str,
    *,
    quick: bool,
) -> None:
    """Start ``server``, measure, print the table, stop the server."""
    chunk, rounds = (100, 10) if quick else (100, 400)

    async def main() -> list[tuple[str, float, float, float]]:
        store: Any = kv.connect(f"{scheme}://127.0.0.1:{server.port}/0")
        raw = build_client(store.driver, store.target, store.options)
        try:
            return await measure(store, raw, chunk, rounds)
        finally:
            await raw.aclose()

    with server:
        rows = asyncio.run(main())
    report(title, raw_name, rows)
