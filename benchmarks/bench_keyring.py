"""keyring:// beside raw keyring calls doing the same work with the same JSON.

Run: ``uv run python benchmarks/bench_keyring.py`` (add ``--quick`` for a short run).

The backend is keyrings.alt's ``PlaintextKeyring`` (the file keyring, the one
available on this machine) in a temporary folder; ``XDG_DATA_HOME`` is pointed
there too, so the user's keyring is never touched. The file keyring parses and
rewrites its whole INI file on every call, so every number depends on how
many entries the file holds: the keyring is filled with ``--entries``
entries first (default 100, a realistic size for secrets).

Raw side, per operation: ``set_password(service, "c::k", json.dumps(document))``
and ``json.loads(get_password(service, "c::k"))["value"]``, where ``document``
is the same py-key-value-compatible JSON kv stores (names, timestamps, value).
kv adds to that: the index read (and write, when a key is new or its expiry
changes), the inter-process file lock, the worker-thread hop, the rules.

Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path

VALUE = {"access_token": "x" * 40, "expires_in": 3600, "scope": "repo"}
SERVICE = "bench"
COLLECTION = "tokens"
BATCH = 10


def best_ms_per_op(run: Callable[[], None], operations: int, rounds: int) -> float:
    """Fastest of ``rounds`` timings, in milliseconds per operation."""
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        timings.append((time.perf_counter() - start) / operations)
    return min(timings) * 1000


async def best_ms_per_op_async(
    run: Callable[[], Awaitable[None]], operations: int, rounds: int
) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        await run()
        timings.append((time.perf_counter() - start) / operations)
    return min(timings) * 1000


def document(key: str, value: dict[str, object]) -> str:
    """The JSON text kv and py-key-value store for one entry."""
    return json.dumps(
        {
            "collection": COLLECTION,
            "created_at": datetime.now(tz=timezone.utc).isoformat(),
            "key": key,
            "value": value,
            "version": 1,
        },
        separators=(",", ":"),
    )


async def measure(entries: int, loops: int, rounds: int) -> list[tuple[str, float, float]]:
    from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-untyped]

    import kv

    folder = Path(tempfile.mkdtemp(prefix="kv-bench-keyring-"))
    raw = PlaintextKeyring()
    raw.file_path = str(folder / "raw.cfg")
    ours_backend = PlaintextKeyring()
    ours_backend.file_path = str(folder / "kv.cfg")
    store = kv.connect(f"keyring://{SERVICE}", backend=ours_backend)

    filler = [f"filler-{i}" for i in range(entries)]
    for name in filler:
        raw.set_password(SERVICE, f"{COLLECTION}::{name}", document(name, VALUE))
    await store.put_many(filler, [VALUE] * entries, collection=COLLECTION)
    keys = filler[:BATCH]

    def raw_get() -> None:
        for _ in range(loops):
            json.loads(raw.get_password(SERVICE, f"{COLLECTION}::filler-7") or "null")["value"]

    async def kv_get() -> None:
        for _ in range(loops):
            await store.get("filler-7", collection=COLLECTION)

    def raw_put() -> None:
        for _ in range(loops):
            raw.set_password(SERVICE, f"{COLLECTION}::filler-7", document("filler-7", VALUE))

    async def kv_put() -> None:
        for _ in range(loops):
            await store.put("filler-7", VALUE, collection=COLLECTION)

    def raw_put_ttl() -> None:
        for _ in range(loops):
            raw.set_password(SERVICE, f"{COLLECTION}::filler-7", document("filler-7", VALUE))

    async def kv_put_ttl() -> None:
        for _ in range(loops):
            await store.put("filler-7", VALUE, collection=COLLECTION, ttl=3600)

    def raw_get_many() -> None:
        for _ in range(max(1, loops // BATCH)):
            for key in keys:
                json.loads(raw.get_password(SERVICE, f"{COLLECTION}::{key}") or "null")

    async def kv_get_many() -> None:
        for _ in range(max(1, loops // BATCH)):
            await store.get_many(keys, collection=COLLECTION)

    def raw_put_many() -> None:
        for _ in range(max(1, loops // BATCH)):
            for key in keys:
                raw.set_password(SERVICE, f"{COLLECTION}::{key}", document(key, VALUE))

    async def kv_put_many() -> None:
        for _ in range(max(1, loops // BATCH)):
            await store.put_many(keys, [VALUE] * BATCH, collection=COLLECTION)

    def raw_put_delete() -> None:
        for _ in range(loops):
            raw.set_password(SERVICE, f"{COLLECTION}::gone", document("gone", VALUE))
            raw.delete_password(SERVICE, f"{COLLECTION}::gone")

    async def kv_put_delete() -> None:
        for _ in range(loops):
            await store.put("gone", VALUE, collection=COLLECTION)
            await store.delete("gone", collection=COLLECTION)

    batch_ops = max(1, loops // BATCH) * BATCH
    rows = []
    for name, raw_run, kv_run, count in [
        ("get", raw_get, kv_get, loops),
        ("put (overwrite, no TTL)", raw_put, kv_put, loops),
        ("put (overwrite, with TTL)", raw_put_ttl, kv_put_ttl, loops),
        (f"get_many (per key, {BATCH} keys)", raw_get_many, kv_get_many, batch_ops),
        (f"put_many (per key, {BATCH} keys)", raw_put_many, kv_put_many, batch_ops),
        ("put + delete of a new key", raw_put_delete, kv_put_delete, loops),
    ]:
        raw_ms = best_ms_per_op(raw_run, count, rounds)
        kv_ms = await best_ms_per_op_async(kv_run, count, rounds)
        rows.append((name, raw_ms, kv_ms))
    await store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    parser.add_argument("--entries", type=int, default=100, help="entries in the keyring first")
    args = parser.parse_args()
    loops, rounds = (20, 2) if args.quick else (200, 5)
    with tempfile.TemporaryDirectory(prefix="kv-bench-xdg-") as data_home:
        os.environ["XDG_DATA_HOME"] = data_home
        rows = asyncio.run(measure(args.entries, loops, rounds))

    print(
        f"Python {sys.version.split()[0]}, keyrings.alt PlaintextKeyring,"
        f" {args.entries} entries in the keyring\n"
    )
    print("| operation | raw keyring + json (ms) | keyring:// (ms) | ratio |")
    print("|---|---:|---:|---:|")
    for name, raw_ms, kv_ms in rows:
        print(f"| {name} | {raw_ms:.3f} | {kv_ms:.3f} | {kv_ms / raw_ms:.2f}x |")


if __name__ == "__main__":
    main()
