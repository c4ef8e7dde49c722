"""Atomic operations beside the plain put, per store, in one run.

Run: ``uv run python benchmarks/bench_atomic.py`` (``--stores memory,disk``
to pick stores, ``--ops 500`` operations per round, ``--rounds 5``).

For every store that declares the ``atomic`` capability it measures, one call
at a time on one store object (the latency of a single call, not a load
test), the best of ``--rounds`` rounds of ``--ops`` calls each:

* **put**: a plain ``put`` of a new key (the baseline);
* **put_if_absent (new)**: a claim that wins (the key is new);
* **put_if_absent (taken)**: a claim that loses (the key holds a live entry);
* **get_versioned**: a read with the version;
* **put_if_version**: a compare-and-swap that wins (version just read);
* **update**: ``kv.atomic.update`` incrementing one counter (a read and a
  conditional write; no other writer, so no retries).

Each figure is microseconds per call; the ratio column divides by the
store's own ``put``. py-key-value has no atomic operations, so no
py-key-value column; the raw clients' equivalents are one statement or
command each, as kv's are. Server stores run against servers this script
starts on random ports of 127.0.0.1 (see ``bench_load.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import kv
from kv.atomic import AtomicKeyValue, update

sys.path.insert(0, str(Path(__file__).resolve().parent))

VALUE: dict[str, Any] = {"name": "Alice", "age": 30, "tags": ["a", "b"], "active": True}
COLLECTION = "atomic-bench"


def _local(scheme: str, name: str) -> Callable[[], AbstractContextManager[str]]:
    @contextmanager
    def url() -> Iterator[str]:
        with tempfile.TemporaryDirectory(prefix="kv-bench-atomic-") as directory:
            yield f"{scheme}://{directory}/{name}"

    return url


def _server(kind: str) -> Callable[[], AbstractContextManager[str]]:
    @contextmanager
    def url() -> Iterator[str]:
        import bench_load

        if kind == "redis":
            binary = bench_load.resp_servers().redis_binary()
            with bench_load.standalone(binary, "redis-atomic") as port:
                yield f"redis://127.0.0.1:{port}/0"
        elif kind == "valkey":
            binary = bench_load.resp_servers().valkey_binary()
            with bench_load.standalone(binary, "valkey-atomic") as port:
                yield f"valkey://127.0.0.1:{port}/0"
        elif kind == "memcached":
            with bench_load.memcached_server() as port:
                yield f"memcached://127.0.0.1:{port}"
        else:
            with bench_load.postgres_server() as port:
                yield f"postgresql://postgres@127.0.0.1:{port}/postgres"

    return url


STORES: dict[str, Callable[[], AbstractContextManager[str]]] = {
    "memory": lambda: nullcontext("memory://"),
    "disk": _local("disk", "cache"),
    "file": _local("file", "tree"),
    "duckdb": _local("duckdb", "kv.duckdb"),
    "rocksdb": _local("rocksdb", "db"),
    "chdb": _local("chdb", "chdb"),
    "sqlite": _local("sqlite", "kv.db"),
    "postgresql": _server("postgresql"),
    "redis": _server("redis"),
    "valkey": _server("valkey"),
    "memcached": _server("memcached"),
}

OPERATIONS = (
    "put",
    "put_if_absent (new)",
    "put_if_absent (taken)",
    "get_versioned",
    "put_if_version",
    "update",
)


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[Any]:
    store: Any = kv.connect(url)
    try:
        await store.setup()
        yield store
    finally:
        await store.close()


def _increment(old: dict[str, Any] | None) -> dict[str, Any]:
    return {"n": (old or {"n": 0})["n"] + 1}


async def measure(store: Any, ops: int, rounds: int) -> dict[str, float]:
    """Best microseconds per call of each operation."""
    atomic: AtomicKeyValue = store
    best = dict.fromkeys(OPERATIONS, float("inf"))
    for round_number in range(rounds):
        keys = [f"r{round_number}-k{i}" for i in range(ops)]
        claims = [f"r{round_number}-c{i}" for i in range(ops)]
        versions: dict[str, str] = {}
        timings: dict[str, float] = {}

        start = time.perf_counter()
        for key in keys:
            await store.put(key, VALUE, collection=COLLECTION)
        timings["put"] = time.perf_counter() - start

        start = time.perf_counter()
        for key in claims:
            await atomic.put_if_absent(key, VALUE, collection=COLLECTION)
        timings["put_if_absent (new)"] = time.perf_counter() - start

        start = time.perf_counter()
        for key in claims:
            await atomic.put_if_absent(key, VALUE, collection=COLLECTION)
        timings["put_if_absent (taken)"] = time.perf_counter() - start

        start = time.perf_counter()
        for key in keys:
            found = await atomic.get_versioned(key, collection=COLLECTION)
            versions[key] = "" if found is None else found.version
        timings["get_versioned"] = time.perf_counter() - start

        start = time.perf_counter()
        for key in keys:
            await atomic.put_if_version(key, VALUE, versions[key], collection=COLLECTION)
        timings["put_if_version"] = time.perf_counter() - start

        counter = f"counter-{round_number}"
        start = time.perf_counter()
        for _ in range(ops):
            await update(atomic, counter, _increment, collection=COLLECTION)
        timings["update"] = time.perf_counter() - start

        for name, seconds in timings.items():
            best[name] = min(best[name], seconds / ops * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default=",".join(STORES))
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    names = [name for name in arguments.stores.split(",") if name]
    unknown = [name for name in names if name not in STORES]
    if unknown:
        parser.error(f"unknown stores: {', '.join(unknown)}")
    header = "| store | " + " | ".join(OPERATIONS) + " |"
    print(f"µs per call, best of {arguments.rounds} rounds of {arguments.ops} calls; (x) = / put\n")
    print(header)
    print("|---|" + "---:|" * len(OPERATIONS))
    for name in names:
        with STORES[name]() as url:
            row = asyncio.run(_row(url, arguments.ops, arguments.rounds))
        print(f"| {name}:// | {row} |", flush=True)


async def _row(url: str, ops: int, rounds: int) -> str:
    async with opened(url) as store:
        if not store.capabilities.atomic:
            return " | ".join(["not atomic"] + [""] * (len(OPERATIONS) - 1))
        best = await measure(store, ops, rounds)
    put = best["put"]
    cells = [f"{put:.1f}"]
    cells += [f"{best[name]:.1f} ({best[name] / put:.2f}x)" for name in OPERATIONS[1:]]
    return " | ".join(cells)


if __name__ == "__main__":
    main()
