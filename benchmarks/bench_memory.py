"""memory:// beside a plain dict doing the same work with a json round trip.

Run: ``uv run python benchmarks/bench_memory.py`` (add ``--quick`` for a short run).

Measures, in one run:

* get / put / get_many / put_many per operation, for ``memory://`` and for a
  dict holding JSON text (``json.loads(d[k])`` / ``d[k] = json.dumps(v)``), the
  least work that also returns a fresh object on every read;
* the time to ``import kv`` and ``kv.connect("memory://")`` in a fresh
  interpreter (median of 15, bytecode compiled as in an installed wheel), and
  of the first call, ``import anyio`` and the start of its event loop included
  (what the runtime type checks add to a first call alone:
  ``benchmarks/bench_startup.py``);
* memory per entry at 100 000 small entries ``{"name": "Alice", "n": i}``.

Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tracemalloc

from timing import best_ns_per_op, best_ns_per_op_async

import kv
from kv._typecheck import typecheck_enabled

VALUE = {"name": "Alice", "n": 1}
BATCH = 100


async def operations(loops: int, rounds: int) -> list[tuple[str, float, float]]:
    store = kv.connect("memory://")
    keys = [f"key-{i}" for i in range(BATCH)]
    values = [{"name": "Alice", "n": i} for i in range(BATCH)]
    await store.put_many(keys, values)
    plain: dict[str, str] = {k: json.dumps(v) for k, v in zip(keys, values)}
    loads, dumps = json.loads, json.dumps

    def dict_get() -> None:
        for _ in range(loops):
            loads(plain["key-7"])

    async def kv_get() -> None:
        for _ in range(loops):
            await store.get("key-7")

    def dict_put() -> None:
        for _ in range(loops):
            plain["key-7"] = dumps(VALUE)

    async def kv_put() -> None:
        for _ in range(loops):
            await store.put("key-7", VALUE)

    batches = max(1, loops // BATCH)

    def dict_get_many() -> None:
        for _ in range(batches):
            [loads(plain[k]) for k in keys]

    async def kv_get_many() -> None:
        for _ in range(batches):
            await store.get_many(keys)

    def dict_put_many() -> None:
        for _ in range(batches):
            for k, v in zip(keys, values):
                plain[k] = dumps(v)

    async def kv_put_many() -> None:
        for _ in range(batches):
            await store.put_many(keys, values)

    rows = []
    for name, raw, ours, count in [
        ("get", dict_get, kv_get, loops),
        ("put", dict_put, kv_put, loops),
        ("get_many (per key, 100 keys)", dict_get_many, kv_get_many, batches * BATCH),
        ("put_many (per key, 100 keys)", dict_put_many, kv_put_many, batches * BATCH),
    ]:
        raw_ns = best_ns_per_op(raw, count, rounds)
        ours_ns = await best_ns_per_op_async(ours, count, rounds)
        rows.append((name, raw_ns, ours_ns))
    return rows


STARTUP_SNIPPET = """
import time
start = time.perf_counter()
import kv
store = kv.connect("memory://")
connected = time.perf_counter()
import anyio
async def first():
    await store.get("k")
anyio.run(first)
print((connected - start) * 1000, (time.perf_counter() - connected) * 1000)
"""


def startup(runs: int) -> tuple[float, float]:
    """Median ms of import kv + connect, and of the first call, in fresh processes."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", os.path.dirname(kv.__file__)],
        check=True,
        env=env,
    )
    subprocess.run(
        [sys.executable, "-c", STARTUP_SNIPPET], check=True, env=env, capture_output=True
    )
    imports, firsts = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", STARTUP_SNIPPET],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        ).stdout.split()
        imports.append(float(out[0]))
        firsts.append(float(out[1]))
    return statistics.median(imports), statistics.median(firsts)


async def bytes_per_entry(count: int) -> float:
    """Traced allocations per entry for ``count`` small entries, keys included."""
    store = kv.connect("memory://")
    await store.put("warm-up", {"name": "Alice", "n": -1})
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(count):
        await store.put(f"key-{i}", {"name": "Alice", "n": i})
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    args = parser.parse_args()
    loops, rounds, runs = (5_000, 3, 5) if args.quick else (100_000, 7, 15)

    rows = asyncio.run(operations(loops, rounds))
    import_ms, first_ms = startup(runs)
    per_entry = asyncio.run(bytes_per_entry(100_000))

    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    print(f"Python {sys.version.split()[0]}, runtime type checks {checks}\n")
    print("| operation | dict + json (ns) | memory:// (ns) | ratio |")
    print("|---|---:|---:|---:|")
    for name, raw_ns, ours_ns in rows:
        print(f"| {name} | {raw_ns:,.0f} | {ours_ns:,.0f} | {ours_ns / raw_ns:.2f}x |")
    print()
    print(f"- import kv + connect('memory://'): {import_ms:.1f} ms (median of {runs})")
    print(f"- import anyio + first call in a new event loop: {first_ms:.1f} ms")
    print(f"- memory per small entry at 100 000 entries: {per_entry:.0f} bytes")


if __name__ == "__main__":
    main()
