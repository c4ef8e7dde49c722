"""firestore:// beside the raw google-cloud-firestore AsyncClient and py-key-value's
FirestoreStore, on Google's Firestore emulator.

Run: ``uv run python benchmarks/bench_firestore.py`` (``--quick`` for a short run).

Starts the Firestore emulator (the jar of gcloud's ``firestore-emulator``
component, run with java) on a free loopback port, then measures, in one
run, per operation (µs):

* get: ``store.get`` vs ``DocumentReference.get()`` + ``json.loads`` of its
  ``value`` field;
* put: ``store.put`` vs ``set()`` of the same document (the value as JSON
  text, ``created_at``, the names);
* delete: ``store.delete`` vs ``get()`` + ``delete()`` with the read
  ``update_time`` as precondition (a delete that says whether the key existed);
* get_many (100 keys): vs one ``get_all`` + ``json.loads`` of each value;
* put_many (100 keys): vs one write batch of 100 ``set``;
* delete_many (100 keys): vs one ``get_all`` and one write batch of 100
  conditional deletes.

The raw client writes kv's layout (``ROOT/bench/kv_entries/{key}``);
py-key-value's FirestoreStore does the same calls in its own layout
(``bench/{key}``) in the same run, on the same emulator. The three sides
alternate in every round (each goes first every other round); each figure is
the median of the rounds, each ratio the median of the per-round ratios.
These are emulator figures: the emulator answers from memory on loopback, so
they compare client-side costs and request counts, not Firestore's latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import kv
from kv._typecheck import typecheck_enabled
from kv_conformance.emulators import firestore as firestore_emulator

BATCH = 100
PROJECT = "demo-bench"
KEYS = [f"key-{i}" for i in range(BATCH)]
VALUES = [{"name": "Alice", "n": i} for i in range(BATCH)]

Run = Callable[[], Awaitable[None]]

NAMES = [
    "get",
    "put",
    "delete",
    f"get_many (per key, {BATCH} keys)",
    f"put_many (per key, {BATCH} keys)",
    f"delete_many (per key, {BATCH} keys)",
]


def store_runs(store: Any, loops: int) -> list[Run]:
    """The six runs of a store with py-key-value's API (kv's too)."""

    async def get() -> None:
        for _ in range(loops):
            await store.get("key-7", collection="bench")

    async def put() -> None:
        for _ in range(loops):
            await store.put("key-7", VALUES[7], collection="bench")

    async def delete() -> None:
        for i in range(loops):
            await store.delete(f"key-{i % BATCH}", collection="bench")

    async def get_many() -> None:
        await store.get_many(KEYS, collection="bench")

    async def put_many() -> None:
        await store.put_many(KEYS, VALUES, collection="bench")

    async def delete_many() -> None:
        await store.delete_many(KEYS, collection="bench")

    return [get, put, delete, get_many, put_many, delete_many]


def document(key: str, value: dict[str, Any]) -> dict[str, Any]:
    """The document kv writes for ``value`` (no TTL)."""
    return {
        "version": 1,
        "value": json.dumps(value, separators=(",", ":")),
        "collection": "bench",
        "key": key,
        "created_at": datetime.now(tz=timezone.utc).isoformat(),
    }


def raw_runs(client: Any, root: str, loops: int) -> list[Run]:
    """The same six runs on the raw AsyncClient, in kv's layout."""
    entries = client.collection(root, "bench", "kv_entries")
    refs = [entries.document(key) for key in KEYS]

    async def get() -> None:
        for _ in range(loops):
            snapshot = await entries.document("key-7").get()
            json.loads(snapshot.to_dict()["value"])

    async def put() -> None:
        for _ in range(loops):
            await entries.document("key-7").set(document("key-7", VALUES[7]))

    async def delete() -> None:
        for i in range(loops):
            ref = entries.document(f"key-{i % BATCH}")
            snapshot = await ref.get()
            if snapshot.exists:
                option = client.write_option(last_update_time=snapshot.update_time)
                await ref.delete(option=option)

    async def get_many() -> None:
        found = {s.id: s async for s in client.get_all(refs) if s.exists}
        [json.loads(found[key].to_dict()["value"]) if key in found else None for key in KEYS]

    async def put_many() -> None:
        batch = client.batch()
        for ref, key, value in zip(refs, KEYS, VALUES):
            batch.set(ref, document(key, value))
        await batch.commit()

    async def delete_many() -> None:
        batch = client.batch()
        async for snapshot in client.get_all(refs):
            if snapshot.exists:
                option = client.write_option(last_update_time=snapshot.update_time)
                batch.delete(snapshot.reference, option=option)
        await batch.commit()

    return [get, put, delete, get_many, put_many, delete_many]


async def measure(loops: int, rounds: int) -> list[tuple[str, list[float]]]:
    """(operation, [raw, kv, py-key-value medians, kv/raw, py-key-value/raw ratios])."""
    from google.cloud import firestore
    from key_value.aio.stores.firestore import FirestoreStore as PyKVFirestoreStore

    from kv_firestore.store import close_client

    database = f"bench-{uuid.uuid4().hex[:8]}"
    root = "bench-root"
    store = kv.connect(f"firestore://{PROJECT}/{root}?database={database}")
    client = firestore.AsyncClient(project=PROJECT, database=database)
    pykv = PyKVFirestoreStore(project=PROJECT, database=database)
    try:
        await store.put_many(KEYS, VALUES, collection="bench")
        sides = [raw_runs(client, root, loops), store_runs(store, loops), store_runs(pykv, loops)]
        refills = [store_runs(store, loops)[4], store_runs(pykv, loops)[4]]
        operations = [loops, loops, loops, BATCH, BATCH, BATCH]
        timings: list[list[list[float]]] = [[[] for _ in sides] for _ in NAMES]
        for round_number in range(rounds + 1):  # the first round warms up
            for index in range(len(NAMES)):
                order = list(range(len(sides)))
                if round_number % 2:
                    order.reverse()  # each side goes first every other round
                for side in order:
                    if index == 0 or NAMES[index].startswith("delete"):
                        for refill in refills:
                            await refill()  # every read and delete finds its key
                    start = time.perf_counter()
                    await sides[side][index]()
                    elapsed = (time.perf_counter() - start) / operations[index] * 1e6
                    if round_number:
                        timings[index][side].append(elapsed)
    finally:
        await store.close()
        await pykv.close()
        await close_client(pykv._client)  # py-key-value's close() leaves the channel open
        await close_client(client)
    rows = []
    for name, (raw, ours, theirs) in zip(NAMES, timings):
        rows.append(
            (
                name,
                [
                    statistics.median(raw),
                    statistics.median(ours),
                    statistics.median(theirs),
                    statistics.median(o / r for o, r in zip(ours, raw)),
                    statistics.median(t / r for t, r in zip(theirs, raw)),
                ],
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    args = parser.parse_args()
    loops, rounds = (20, 3) if args.quick else (100, 9)
    with firestore_emulator(project=PROJECT) as server:
        os.environ["FIRESTORE_EMULATOR_HOST"] = f"{server.host}:{server.port}"
        rows = asyncio.run(measure(loops, rounds))
    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    loadavg = Path("/proc/loadavg")
    load = " ".join(loadavg.read_text().split()[:3]) if loadavg.exists() else "?"
    version = __import__("google.cloud.firestore", fromlist=["__version__"]).__version__
    print(
        f"Python {sys.version.split()[0]}, google-cloud-firestore {version}, Firestore emulator"
        f" on loopback (an emulator), type checks {checks}, load {load},"
        f" medians of {rounds} rounds\n"
    )
    print(
        "| operation | AsyncClient (µs) | firestore:// (µs) | ratio"
        " | py-key-value FirestoreStore (µs) | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, (raw, ours, theirs, ours_ratio, theirs_ratio) in rows:
        print(
            f"| {name} | {raw:,.0f} | {ours:,.0f} | {ours_ratio:.2f}x"
            f" | {theirs:,.0f} | {theirs_ratio:.2f}x |"
        )


if __name__ == "__main__":
    main()
