"""Embedded engines: kv beside py-key-value, single-key calls, in one run.

Run: ``uv run python benchmarks/bench_embedded.py`` (``--stores disk,rocksdb``
to pick, ``--ops 2000`` calls per round, ``--rounds 5``; chDB and keyring make
at most :data:`OPS_CAP` calls a round).

For each engine both libraries have (memory, disk, file tree, RocksDB,
DuckDB, chDB, keyring; SQLite through kv's example plugin) it builds kv's
store and py-key-value's store on their own fresh locations and measures,
one call at a time, ``get`` of a present key, ``put`` of a new value and
``delete``. The two libraries take turns (each first every other round) so
they see the same machine load; each figure is the median of the rounds, in
microseconds per call, and the ratio is kv / py-key-value (below 1: kv is
faster).

kv runs a point call of an embedded engine on the event loop when it can
wait for nothing (see :mod:`kv.blocking`: ``inline_budget``), otherwise in
the store's worker thread; py-key-value runs every engine call on the event
loop. chDB runs one embedded server per process, so both stores share its
directory, each with its own table. Both keyring stores use keyrings.alt's
``PlaintextKeyring`` (the backend py-key-value's keyring store gets here,
``keyring.get_keyring()``), each on its own file in the run's temporary
directory. py-key-value has no store over a plain SQLite table: the row
``sqlite://`` (kv's example plugin) is measured beside py-key-value's disk
store, diskcache's SQLite file, the same engine. The "longest inline call"
column is the longest time one of kv's calls held the event loop during the
run: the worst stall it caused.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kv

VALUE: dict[str, Any] = {"name": "Alice", "age": 30, "tags": ["a", "b"], "active": True}
COLLECTION = "bench"


def _plaintext_keyring(file: Path) -> Any:
    """A keyrings.alt plaintext file backend on ``file`` (never the user's own keyring)."""
    from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-untyped]

    backend = PlaintextKeyring()
    backend.file_path = str(file)  # an instance-level override keyrings.alt documents
    return backend


def _pykv(name: str, directory: Path) -> Any:
    if name == "memory":
        from key_value.aio.stores.memory import MemoryStore

        return MemoryStore()
    if name in ("disk", "sqlite"):
        from key_value.aio.stores.disk import DiskStore

        return DiskStore(directory=directory / "pykv")
    if name == "file":
        from key_value.aio.stores.filetree import FileTreeStore

        (directory / "pykv").mkdir()
        return FileTreeStore(data_directory=directory / "pykv")
    if name == "rocksdb":
        from key_value.aio.stores.rocksdb import RocksDBStore

        return RocksDBStore(path=directory / "pykv")
    if name == "chdb":
        from key_value.aio.stores.chdb import ChDBStore

        return ChDBStore(database_path=directory / "chdb", table_name="pykv_entries")
    if name == "keyring":
        import keyring
        from key_value.aio.stores.keyring import KeyringStore

        keyring.set_keyring(_plaintext_keyring(directory / "pykv-keyring.cfg"))
        return KeyringStore(service_name="pykv-bench")
    from key_value.aio.stores.duckdb import DuckDBStore

    return DuckDBStore(database_path=directory / "pykv.duckdb")


KV_URLS: dict[str, Callable[[Path], str]] = {
    "memory": lambda d: "memory://",
    "disk": lambda d: f"disk://{d}/kv",
    "file": lambda d: f"file://{d}/kv",
    "rocksdb": lambda d: f"rocksdb://{d}/kv",
    "duckdb": lambda d: f"duckdb://{d}/kv.duckdb",
    "chdb": lambda d: f"chdb://{d}/chdb",
    "keyring": lambda d: "keyring://kv-bench",
    "sqlite": lambda d: f"sqlite://{d}/kv.sqlite",
}


def _kv_options(name: str, directory: Path) -> dict[str, Any]:
    if name == "keyring":
        return {"backend": _plaintext_keyring(directory / "kv-keyring.cfg")}
    return {}


OPERATIONS = ("get", "put", "delete")

OPS_CAP = {"chdb": 50, "keyring": 100}
"""Calls per round of the slow engines, whatever ``--ops`` says: py-key-value's
chDB delete takes about 0.6 s (a ClickHouse mutation), and a file keyring
parses its whole file on every call, so it slows as it grows."""


async def _round(store: Any, ops: int, tag: str) -> dict[str, float]:
    keys = [f"{tag}-{i}" for i in range(ops)]
    for key in keys:
        await store.put(key, VALUE, collection=COLLECTION)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    for key in keys:
        await store.get(key, collection=COLLECTION)
    timings["get"] = time.perf_counter() - start
    start = time.perf_counter()
    for key in keys:
        await store.put(key, VALUE, collection=COLLECTION)
    timings["put"] = time.perf_counter() - start
    start = time.perf_counter()
    for key in keys:
        await store.delete(key, collection=COLLECTION)
    timings["delete"] = time.perf_counter() - start
    return {name: seconds / ops * 1e6 for name, seconds in timings.items()}


async def compare(name: str, ops: int, rounds: int) -> list[str]:
    ops = min(ops, OPS_CAP.get(name, ops))
    with tempfile.TemporaryDirectory(prefix="kv-bench-embedded-") as temporary:
        directory = Path(temporary)
        ours: Any = kv.connect(
            KV_URLS[name](directory), sweep_interval=None, **_kv_options(name, directory)
        )
        theirs = _pykv(name, directory)
        await ours.setup()
        await theirs.setup()
        await _round(ours, min(200, ops), "warm")
        await _round(theirs, min(200, ops), "warm")
        mine: dict[str, list[float]] = {op: [] for op in OPERATIONS}
        other: dict[str, list[float]] = {op: [] for op in OPERATIONS}
        for number in range(rounds):
            # Each library goes first every other round: an engine's background
            # work (chDB's merges, DuckDB's and SQLite's logs) falls on both alike.
            turns = [(ours, mine), (theirs, other)]
            for store, figures in turns if number % 2 == 0 else turns[::-1]:
                for op, value in (await _round(store, ops, f"r{number}")).items():
                    figures[op].append(value)
        engine = getattr(ours, "_engine", None)  # kv.blocking.Engine, or the older attribute
        calls = getattr(engine, "calls", None) or getattr(ours, "_calls", None)
        longest = getattr(calls, "longest_inline", None)
        await ours.close()
        close = getattr(theirs, "close", None)
        if close is not None:
            await close()
    rows = []
    for op in OPERATIONS:
        a, b = statistics.median(mine[op]), statistics.median(other[op])
        stall = "" if longest is None else f"{longest * 1e6:.0f} µs"
        rows.append(f"| {name}:// | {op} | {a:.1f} | {b:.1f} | {a / b:.2f}x | {stall} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default=",".join(KV_URLS))
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    caps = ", ".join(f"{name} {cap}" for name, cap in OPS_CAP.items() if cap < arguments.ops)
    capped = f" ({caps})" if caps else ""
    print(f"median of {arguments.rounds} rounds of {arguments.ops} calls{capped}, µs per call\n")
    print("| store | call | kv | py-key-value | kv / py-key-value | longest inline call |")
    print("|---|---|---:|---:|---:|---:|")
    for name in arguments.stores.split(","):
        for row in asyncio.run(compare(name, arguments.ops, arguments.rounds)):
            print(row, flush=True)


if __name__ == "__main__":
    main()
