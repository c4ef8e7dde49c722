"""Listing keys: kv's ``keys()`` and ``keys(limit=10)`` beside the engine's own listing.

Run: ``uv run python benchmarks/bench_keys.py`` (``--stores memory,disk`` to
pick, ``--entries 10000`` keys in the listed collection, ``--rounds 7``).

For each embedded store it fills one collection with ``--entries`` keys (and
a second collection with as many, so that listing one is not listing the
whole database), then times, taking turns round by round:

* kv: ``await store.keys(collection)`` (every key) and
  ``await store.keys(collection, limit=10)``;
* native: the same keys listed with the engine's own API over the same data,
  doing the least the engine allows (no expiry check, no decoding of names
  beyond what a user of the raw engine would do):

  - memory: ``list(dict)`` of the collection's table;
  - disk: ``SELECT key FROM Cache WHERE key >= ? AND key < ?`` on its own
    :mod:`sqlite3` connection, the ``collection::`` prefix cut off;
  - rocksdb: a rocksdict iterator from the collection's prefix, keys only;
  - duckdb: ``SELECT key FROM kv_entries WHERE collection = ?`` on the
    store's connection;
  - file: ``os.scandir`` of the collection's folder, names ending ``.json``.

It prints the median of the rounds in microseconds per listing and the ratio
kv / native (the issue's goal for ``keys()``: at most 3x).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kv

COLLECTION = "listed"
OTHER = "other"

URLS: dict[str, Callable[[Path], str]] = {
    "memory": lambda d: "memory://",
    "disk": lambda d: f"disk://{d}/kv",
    "rocksdb": lambda d: f"rocksdb://{d}/kv",
    "duckdb": lambda d: f"duckdb://{d}/kv.duckdb",
    "file": lambda d: f"file://{d}/kv",
}


def _native(name: str, store: Any, directory: Path) -> Callable[[], list[str]]:
    """The engine's own listing of :data:`COLLECTION`."""
    if name == "memory":
        table = store._collections[COLLECTION]
        return lambda: list(table)
    if name == "disk":
        connection = sqlite3.connect(directory / "kv" / "cache.db")
        prefix = f"{COLLECTION}::"
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        sql = "SELECT key FROM Cache WHERE key >= ? AND key < ?"
        cut = len(prefix)
        return lambda: [key[cut:] for (key,) in connection.execute(sql, (prefix, upper))]
    if name == "rocksdb":
        db = store._engine.handle
        prefix = f"{COLLECTION}::"
        cut = len(prefix)

        def rocksdb_keys() -> list[str]:
            names = []
            iterator = db.iter()
            iterator.seek(prefix)
            while iterator.valid():
                key = iterator.key()
                if not key.startswith(prefix):
                    break
                names.append(key[cut:])
                iterator.next()
            return names

        return rocksdb_keys
    if name == "duckdb":
        connection = store._engine.handle
        sql = f"SELECT key FROM {store.options.table} WHERE collection = ?"
        return lambda: [key for (key,) in connection.execute(sql, [COLLECTION]).fetchall()]
    if name == "file":
        root = directory / "kv"
        folder = max(
            (entry for entry in os.scandir(root) if entry.is_dir()),
            key=lambda entry: sum(1 for _ in os.scandir(entry.path)),
        ).path
        return lambda: [
            entry.name[:-5] for entry in os.scandir(folder) if entry.name.endswith(".json")
        ]
    raise ValueError(f"no native listing for {name}")


def _time(run: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        run()
    return (time.perf_counter() - start) / repeat * 1e6


async def _time_async(run: Callable[[], Any], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        await run()
    return (time.perf_counter() - start) / repeat * 1e6


async def compare(name: str, entries: int, rounds: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="kv-bench-keys-") as temporary:
        directory = Path(temporary)
        store: Any = kv.connect(URLS[name](directory), sweep_interval=None)
        keys = [f"key-{number:08d}" for number in range(entries)]
        value = {"v": 1}
        for collection in (COLLECTION, OTHER):
            for start in range(0, entries, 1000):
                chunk = keys[start : start + 1000]
                await store.put_many(chunk, [value] * len(chunk), collection=collection)
        native = _native(name, store, directory)
        assert sorted(native()) == sorted(await store.keys(COLLECTION)) == keys
        repeat = max(1, 20_000 // entries)
        timings: dict[str, list[float]] = {"kv": [], "native": [], "kv10": []}
        for _ in range(rounds):
            timings["kv"].append(await _time_async(lambda: store.keys(COLLECTION), repeat))
            timings["native"].append(_time(native, repeat))
            timings["kv10"].append(await _time_async(lambda: store.keys(COLLECTION, limit=10), 200))
        await store.close()
    full, own, first = (statistics.median(timings[k]) for k in ("kv", "native", "kv10"))
    return [
        f"| {name}:// | {entries:,} | {full:,.0f} | {own:,.0f} | {full / own:.2f}x | {first:,.1f} |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default=",".join(URLS))
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    arguments = parser.parse_args()
    print(f"median of {arguments.rounds} rounds, µs per listing\n")
    print("| store | keys | kv keys() | native | kv / native | kv keys(limit=10) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in arguments.stores.split(","):
        for row in asyncio.run(compare(name, arguments.entries, arguments.rounds)):
            print(row, flush=True)


if __name__ == "__main__":
    main()
