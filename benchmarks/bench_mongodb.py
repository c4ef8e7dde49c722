"""mongodb:// beside raw pymongo and py-key-value's MongoDBStore, on mongoeco or a real server.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_mongodb.py
    KV_MONGODB_URL=mongodb://127.0.0.1:27017/?directConnection=true \\
        .venv/bin/python benchmarks/bench_mongodb.py --ops 200 --rounds 9

Without ``KV_MONGODB_URL`` it starts mongoeco (an emulator of MongoDB's wire
protocol, in Python, in memory) on a free loopback port, as the tests do: its
figures say how much the store adds on top of the client, not how fast
MongoDB is. It runs in ONE process and one event loop three sides doing the
same work, each in a MongoDB collection of its own in one database:

* **kv**: ``kv.connect("mongodb://.../kv-bench")``;
* **raw**: an ``AsyncMongoClient`` with the same settings, writing and reading
  the same documents (py-key-value's layout: ``find_one``, an upserting
  ``replace_one``, ``delete_one``, ``find`` with ``$in``, ``bulk_write``);
* **py-key-value**: py-key-value-aio's ``MongoDBStore`` on the same database.

Operations, each timed over ``--ops`` calls per round (µs per call): ``get``
of a present key, ``put`` (no TTL), ``delete`` of a present key (written
before the clock starts), ``get_many`` and ``put_many`` of 10 and of 100
keys. The sides take turns within every round (the side that goes first
rotates); each cell is the median over the rounds, and each ratio the median
of the per-round ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import warnings
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from pymongo import ReplaceOne
from timing import interleaved

import kv
from kv_conformance.emulators import mongoeco
from kv_mongodb.client import make_client
from kv_mongodb.store import MongoDBStore

DATABASE = "kv-bench"
VALUE: dict[str, Any] = {"name": "Alice", "age": 30, "tags": ["a", "b"], "active": True}
SIDES = ("kv", "raw", "py-key-value")
COLLECTION = {"kv": "kv", "raw": "raw", "py-key-value": "pykv"}
OPERATIONS = ("get", "put", "delete", "get_many(10)", "put_many(10)", "get_many(100)",
              "put_many(100)")  # fmt: skip
Call = Callable[[], Awaitable[Any]]


def _document(collection: str, key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": key,
        "collection": collection,
        "version": 1,
        "value": {"object": value},
        "created_at": datetime.now(timezone.utc),
    }


class Raw:
    """pymongo, the same documents kv writes."""

    def __init__(self, store: MongoDBStore) -> None:
        self.client = make_client(store.options)
        self.database = self.client[store.database]

    async def get(self, collection: str, key: str) -> Any:
        document = await self.database[collection].find_one({"key": key}, {"_id": False})
        return None if document is None else document["value"]["object"]

    async def put(self, collection: str, key: str, value: dict[str, Any]) -> None:
        target = self.database[collection]
        await target.replace_one({"key": key}, _document(collection, key, value), upsert=True)

    async def delete(self, collection: str, key: str) -> bool:
        return (await self.database[collection].delete_one({"key": key})).deleted_count > 0

    async def get_many(self, collection: str, keys: list[str]) -> list[Any]:
        cursor = self.database[collection].find({"key": {"$in": keys}}, {"_id": False})
        found = {document["key"]: document["value"]["object"] async for document in cursor}
        return [found.get(key) for key in keys]

    async def put_many(self, collection: str, keys: list[str], values: list[Any]) -> None:
        requests = [
            ReplaceOne({"key": key}, _document(collection, key, value), upsert=True)
            for key, value in zip(keys, values)
        ]
        await self.database[collection].bulk_write(requests, ordered=False)


def _call(side: str, store: Any, operation: str, index: int) -> Call:
    """One call of ``operation``: kv and py-key-value share the protocol, raw has its own."""
    collection = COLLECTION[side]
    size = int(operation.split("(")[1].rstrip(")")) if "(" in operation else 1
    keys = [f"many-{n}" for n in range(size)]
    values = [dict(VALUE, n=n) for n in range(size)]
    if isinstance(store, Raw):
        simple = {
            "get": lambda: store.get(collection, "present"),
            "put": lambda: store.put(collection, "written", VALUE),
            "delete": lambda: store.delete(collection, f"gone-{index}"),
        }
        if operation in simple:
            return simple[operation]
        if operation.startswith("get_many"):
            return lambda: store.get_many(collection, keys)
        return lambda: store.put_many(collection, keys, values)
    protocol = {
        "get": lambda: store.get("present", collection=collection),
        "put": lambda: store.put("written", VALUE, collection=collection),
        "delete": lambda: store.delete(f"gone-{index}", collection=collection),
    }
    if operation in protocol:
        return protocol[operation]
    if operation.startswith("get_many"):
        return lambda: store.get_many(keys, collection=collection)
    return lambda: store.put_many(keys, values, collection=collection)


async def measure(url: str, ops: int, rounds: int) -> dict[str, dict[str, Any]]:
    from key_value.aio.stores.mongodb import MongoDBStore as PyKVMongoDBStore

    store = kv.connect(url.replace("/?", f"/{DATABASE}?", 1))
    assert isinstance(store, MongoDBStore)
    await store.destroy()
    raw = Raw(store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pykv = PyKVMongoDBStore(url=url, db_name=DATABASE)
        await pykv.setup()
    stores: dict[str, Any] = {"kv": store, "raw": raw, "py-key-value": pykv}
    for side in SIDES:  # each side's collection made by kv (py-key-value's by itself)
        prepared = pykv if side == "py-key-value" else store
        await prepared.put("present", VALUE, collection=COLLECTION[side])

    async def prepare(side: str, operation: str) -> None:
        if operation == "delete":  # the keys the round deletes
            gone = [f"gone-{i}" for i in range(ops)]
            await store.put_many(gone, [VALUE] * ops, collection=COLLECTION[side])

    results = await interleaved(
        OPERATIONS,
        SIDES,
        rounds,
        lambda side, operation: [_call(side, stores[side], operation, i) for i in range(ops)],
        prepare,
    )
    await store.destroy()
    await raw.client.close()
    await store.close()
    await pykv.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ops", type=int, default=200, help="calls per side, round and operation")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (plus one warm-up)")
    args = parser.parse_args()
    real = os.environ.get("KV_MONGODB_URL")
    if real:
        target = "MongoDB (KV_MONGODB_URL)"
        results = asyncio.run(measure(real, args.ops, args.rounds))
    else:
        target = "mongoeco on loopback (emulator figures)"
        with mongoeco() as server:
            url = f"mongodb://127.0.0.1:{server.port}/?directConnection=true"
            results = asyncio.run(measure(url, args.ops, args.rounds))
    with open("/proc/loadavg") as load:
        average = load.read().split()[0]
    print(
        f"Python {sys.version.split()[0]}, {target},"
        f" {args.ops} calls x {args.rounds} rounds, load {average}\n"
    )
    print(
        "| operation | kv (µs) | pymongo (µs) | py-key-value (µs) | kv / raw | kv / py-key-value |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for operation, row in results.items():
        median = row["median"]
        print(
            f"| {operation} | {median['kv']:,.0f} | {median['raw']:,.0f}"
            f" | {median['py-key-value']:,.0f} | {row['vs raw']:.2f}x | {row['vs pykv']:.2f}x |"
        )


if __name__ == "__main__":
    main()
