"""file:// beside plain JSON file reads and writes doing the same work.

Run: ``uv run python benchmarks/bench_filetree.py`` (add ``--quick`` for a short run).

Both sides keep one indented JSON document per entry in
``{root}/{collection}/{key}.json``, in a fresh temporary directory each:

* raw files: a get is ``open`` + ``read`` + ``json.loads``; a put is
  ``json.dumps(..., indent=2)``, a temporary file in the same folder,
  ``fsync`` (when durable) and ``os.replace``: the least work for an atomic
  write; the bulk forms loop;
* file://: kv's store, every file operation in a worker thread (so the event
  loop is never blocked), symlinks never followed (``O_NOFOLLOW`` relative to
  an open folder).

Puts are measured durable (``fsync``, kv's default) and without ``fsync``.
A second table shows how ``put_many`` scales: one call writing 100 to 100,000
new keys into an empty folder, per key; a cost per key that grows with
the batch (as it did while file:// shifted its pending list once per entry)
shows there, while the counted test in ``test_filetree_scale.py`` only sees
file operations.
Raw files and kv take turns, round by round, so both see the same machine
load; each figure is the best round. Prints a Markdown table for
docs/performance.md (microseconds per key).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import kv
from kv._typecheck import typecheck_enabled

BATCH = 100
COLLECTION = "bench"


Work = Callable[[], None] | Callable[[], Awaitable[None]]
"""One round of one operation (sync for raw files, async for kv)."""


async def timed_us(run: Work, operations: int) -> float:
    """Microseconds per operation for one round of ``run``."""
    start = time.perf_counter()
    result = run()
    if result is not None:
        await result
    return (time.perf_counter() - start) / operations * 1e6


def raw_files(root: Path, loops: int) -> dict[str, tuple[Work, int]]:
    """Plain JSON files: read + loads, dumps + temporary file (+ fsync) + replace."""
    folder = root / COLLECTION
    folder.mkdir(parents=True)
    keys = [f"key-{i}" for i in range(BATCH)]
    values = [{"name": "Alice", "n": i} for i in range(BATCH)]

    def write(key: str, value: dict[str, Any], fsync: bool) -> None:
        document = {
            "collection": COLLECTION,
            "created_at": datetime.now(tz=timezone.utc).isoformat(),
            "key": key,
            "value": value,
            "version": 1,
        }
        data = json.dumps(document, indent=2).encode()
        temporary = folder / f".tmp-{key}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, folder / f"{key}.json")

    def read(key: str) -> Any:
        with open(folder / f"{key}.json", "rb") as file:
            return json.loads(file.read())["value"]

    for key, value in zip(keys, values):
        write(key, value, False)
    batches = max(1, loops // BATCH)
    few = max(1, loops // 10)  # durable writes are slow: fewer of them

    def get() -> None:
        for _ in range(loops):
            read("key-7")

    def put_durable() -> None:
        for _ in range(few):
            write("key-7", values[7], True)

    def put() -> None:
        for _ in range(loops):
            write("key-7", values[7], False)

    def get_many() -> None:
        for _ in range(batches):
            [read(k) for k in keys]

    def put_many() -> None:
        for _ in range(batches):
            for k, v in zip(keys, values):
                write(k, v, False)

    return {
        "get": (get, loops),
        "put_durable": (put_durable, few),
        "put": (put, loops),
        "get_many": (get_many, batches * BATCH),
        "put_many": (put_many, batches * BATCH),
    }


async def kv_files(durable: kv.Store, fast: kv.Store, loops: int) -> dict[str, tuple[Work, int]]:
    """kv's file:// store doing the same work (durable and without fsync)."""
    keys = [f"key-{i}" for i in range(BATCH)]
    values = [{"name": "Alice", "n": i} for i in range(BATCH)]
    await fast.put_many(keys, values, collection=COLLECTION)
    batches = max(1, loops // BATCH)
    few = max(1, loops // 10)

    async def get() -> None:
        for _ in range(loops):
            await fast.get("key-7", collection=COLLECTION)

    async def put_durable() -> None:
        for _ in range(few):
            await durable.put("key-7", values[7], collection=COLLECTION)

    async def put() -> None:
        for _ in range(loops):
            await fast.put("key-7", values[7], collection=COLLECTION)

    async def get_many() -> None:
        for _ in range(batches):
            await fast.get_many(keys, collection=COLLECTION)

    async def put_many() -> None:
        for _ in range(batches):
            await fast.put_many(keys, values, collection=COLLECTION)

    return {
        "get": (get, loops),
        "put_durable": (put_durable, few),
        "put": (put, loops),
        "get_many": (get_many, batches * BATCH),
        "put_many": (put_many, batches * BATCH),
    }


async def measure(root: Path, loops: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Best of ``rounds`` per operation; raw files and kv take turns each round."""
    durable = kv.connect(f"file://{root / 'kv'}?sweep_interval=none")
    fast = kv.connect(f"file://{root / 'kv'}?sweep_interval=none&fsync=false")
    raw = raw_files(root / "raw", loops)
    ours = await kv_files(durable, fast, loops)
    best: dict[str, tuple[float, float]] = {}
    for name in LABELS:
        raw_times, kv_times = [], []
        for _ in range(rounds):
            raw_times.append(await timed_us(*raw[name]))
            kv_times.append(await timed_us(*ours[name]))
        best[name] = (min(raw_times), min(kv_times))
    await durable.close()
    await fast.close()
    return best


SCALING_BATCHES = (100, 1_000, 10_000, 100_000)


def write_files(folder: Path, keys: list[str], values: list[dict[str, Any]]) -> None:
    """Raw files: one atomic write (temporary file + replace) per key, no fsync."""
    for key, value in zip(keys, values):
        data = json.dumps({"key": key, "value": value}, indent=2).encode()
        temporary = folder / f".tmp-{key}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.replace(temporary, folder / f"{key}.json")


async def measure_scaling(root: Path, batches: tuple[int, ...]) -> dict[int, tuple[float, float]]:
    """Per key: one ``put_many`` of ``size`` new keys into an empty folder (no fsync),
    raw files beside file://, best of two each."""
    result: dict[int, tuple[float, float]] = {}
    for size in batches:
        keys = [f"key-{i}" for i in range(size)]
        values = [{"name": "Alice", "n": i} for i in range(size)]
        raw_times, kv_times = [], []
        for attempt in range(2):
            folder = root / f"raw-{size}-{attempt}" / COLLECTION
            folder.mkdir(parents=True)
            raw_times.append(
                await timed_us(functools.partial(write_files, folder, keys, values), size)
            )
            store = kv.connect(
                f"file://{root / f'kv-{size}-{attempt}'}?sweep_interval=none&fsync=false"
            )
            put_all = functools.partial(store.put_many, keys, values, collection=COLLECTION)
            kv_times.append(await timed_us(put_all, size))
            await store.close()
        result[size] = (min(raw_times), min(kv_times))
    return result


LABELS = {
    "get": "get",
    "put_durable": "put (fsync)",
    "put": "put (no fsync)",
    "get_many": f"get_many (per key, {BATCH} keys)",
    "put_many": f"put_many (per key, {BATCH} keys, no fsync)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    args = parser.parse_args()
    loops, rounds = (300, 2) if args.quick else (3_000, 5)
    batches = SCALING_BATCHES[:2] if args.quick else SCALING_BATCHES
    with tempfile.TemporaryDirectory() as temporary:
        best = asyncio.run(measure(Path(temporary), loops, rounds))
        scaling = asyncio.run(measure_scaling(Path(temporary) / "scaling", batches))
    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    print(f"Python {sys.version.split()[0]}, runtime type checks {checks};")
    print(f"microseconds per key, best of {rounds}\n")
    print("| operation | JSON files (µs) | file:// (µs) | ratio |")
    print("|---|---:|---:|---:|")
    for name, label in LABELS.items():
        raw, ours = best[name]
        print(f"| {label} | {raw:,.1f} | {ours:,.1f} | {ours / raw:.2f}x |")
    print("\nput_many of N new keys into an empty folder, microseconds per key, best of 2\n")
    print("| N | JSON files (µs) | file:// (µs) | ratio |")
    print("|---:|---:|---:|---:|")
    for size, (raw, ours) in scaling.items():
        print(f"| {size:,} | {raw:,.1f} | {ours:,.1f} | {ours / raw:.2f}x |")


if __name__ == "__main__":
    main()
