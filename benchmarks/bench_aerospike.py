"""aerospike:// beside the raw aerospike client and py-key-value's AerospikeStore.

Run (from the repository root), with an Aerospike server (none can run on the
development machine: the GitHub workflow's service container, or your own)::

    KV_AEROSPIKE_URL=aerospike://127.0.0.1:3000/test .venv/bin/python benchmarks/bench_aerospike.py
    KV_AEROSPIKE_URL=... .venv/bin/python benchmarks/bench_aerospike.py --ops 100 --rounds 9

It runs in ONE process and one event loop three sides doing the same work on
one set of the server:

* **kv**: ``kv.connect("aerospike://HOST:PORT/NAMESPACE/SET")`` (every call in a
  worker thread);
* **raw**: the aerospike client called directly on the event loop's thread
  (it blocks the loop: what the thread hop saves is the gap), writing and
  reading the same records as kv (the same bins and policies, ``json.loads``
  of the document on read);
* **py-key-value**: py-key-value-aio's ``AerospikeStore`` on the same set
  (it also calls the client on the event loop's thread).

Operations, each timed over ``--ops`` calls per round (µs per call): ``get``
of a present key, ``put`` (no TTL), ``delete`` of a present key (written
before the clock starts), ``get_many`` and ``put_many`` of 10 and of 100 keys
(raw: one ``batch_read`` / ``batch_write``, as kv sends them). The sides take
turns within every round (the side that goes first rotates); each cell is
the median over the rounds, and each ratio the median of the per-round
ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import aerospike
from aerospike import exception
from aerospike_helpers.batch import records as batch  # type: ignore[import-untyped]
from aerospike_helpers.operations import operations as ops  # type: ignore[import-untyped]
from timing import batch_size, interleaved

import kv
from kv.entry import StoredEntry
from kv_aerospike.policies import client_config, write_policy
from kv_aerospike.records import VALUE_BIN, record_bins, record_key
from kv_aerospike.store import AerospikeStore

SET = "kv-bench"
VALUE: dict[str, Any] = {"name": "Alice", "age": 30, "tags": ["a", "b"], "active": True}
SIDES = ("kv", "raw", "py-key-value")
COLLECTION = {"kv": "kv", "raw": "raw", "py-key-value": "pykv"}
Call = Callable[[], Awaitable[Any]]


def operations() -> list[str]:
    return [
        "get",
        "put",
        "delete",
        "get_many(10)",
        "put_many(10)",
        "get_many(100)",
        "put_many(100)",
    ]


def _keys(count: int, tag: str) -> list[str]:
    return [f"{tag}-{index}" for index in range(count)]


class Raw:
    """The aerospike client, called directly: the records kv writes."""

    def __init__(self, store: AerospikeStore) -> None:
        self.client = aerospike.client(client_config(store.options))
        self.namespace, self.set_name = store.namespace, store.set_name
        self.null = aerospike.null()
        self.policy = write_policy(None)

    def _key(self, collection: str, key: str) -> tuple[Any, ...]:
        return record_key(self.namespace, self.set_name, collection, key)

    def _bins(self, collection: str, key: str, value: dict[str, Any]) -> dict[str, Any]:
        entry = StoredEntry(json.dumps(value, separators=(",", ":")), time.time())
        return record_bins(collection, key, entry, self.null)

    async def get(self, collection: str, key: str) -> Any:
        try:
            _, _, bins = self.client.get(self._key(collection, key))
        except exception.RecordNotFound:
            return None
        return json.loads(bins[VALUE_BIN])["value"]

    async def put(self, collection: str, key: str, value: dict[str, Any]) -> None:
        self.client.put(
            self._key(collection, key), self._bins(collection, key, value), policy=self.policy
        )

    async def delete(self, collection: str, key: str) -> bool:
        try:
            self.client.remove(self._key(collection, key))
        except exception.RecordNotFound:
            return False
        return True

    async def get_many(self, collection: str, keys: list[str]) -> list[Any]:
        answer = self.client.batch_read([self._key(collection, k) for k in keys], [VALUE_BIN])
        return [
            json.loads(record.record[2][VALUE_BIN])["value"] if record.result == 0 else None
            for record in answer.batch_records
        ]

    async def put_many(self, collection: str, keys: list[str], values: list[Any]) -> None:
        writes = [
            batch.Write(
                self._key(collection, key),
                [
                    ops.write(name, bin_value)
                    for name, bin_value in self._bins(collection, key, value).items()
                ],
                policy=self.policy,
            )
            for key, value in zip(keys, values)
        ]
        self.client.batch_write(batch.BatchRecords(writes))

    def close(self) -> None:
        self.client.close()


def call(side: str, store: Any, raw: Raw, operation: str, index: int) -> Call:
    collection = COLLECTION[side]
    size = batch_size(operation)
    keys = _keys(size, "many")
    values = [dict(VALUE, n=n) for n in range(size)]
    if side == "raw":
        if operation == "get":
            return lambda: raw.get(collection, "present")
        if operation == "put":
            return lambda: raw.put(collection, "written", VALUE)
        if operation == "delete":
            return lambda: raw.delete(collection, f"gone-{index}")
        if operation.startswith("get_many"):
            return lambda: raw.get_many(collection, keys)
        return lambda: raw.put_many(collection, keys, values)
    if operation == "get":
        return lambda: store.get("present", collection=collection)
    if operation == "put":
        return lambda: store.put("written", VALUE, collection=collection)
    if operation == "delete":
        return lambda: store.delete(f"gone-{index}", collection=collection)
    if operation.startswith("get_many"):
        return lambda: store.get_many(keys, collection=collection)
    return lambda: store.put_many(keys, values, collection=collection)


async def measure(url: str, ops_per_round: int, rounds: int) -> dict[str, dict[str, Any]]:
    from key_value.aio.stores.aerospike import AerospikeStore as PyKVAerospikeStore

    store = kv.connect(f"{url.rstrip('/')}/{SET}")
    assert isinstance(store, AerospikeStore)
    await store.setup()
    raw = Raw(store)
    hosts = [
        (host, store.options.port[0] if store.options.port else 3000)
        for host in store.options.hosts
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pykv = PyKVAerospikeStore(hosts=hosts, namespace=store.namespace, set_name=SET)
        await pykv.setup()
    stores: dict[str, Any] = {"kv": store, "raw": None, "py-key-value": pykv}
    for side in SIDES:
        prepared = stores[side] or store
        await prepared.put("present", VALUE, collection=COLLECTION[side])

    async def prepare(side: str, operation: str) -> None:
        if operation == "delete":  # the keys the round deletes
            gone = [f"gone-{i}" for i in range(ops_per_round)]
            await store.put_many(gone, [VALUE] * ops_per_round, collection=COLLECTION[side])

    results = await interleaved(
        operations(),
        SIDES,
        rounds,
        lambda side, operation: [
            call(side, stores[side], raw, operation, i) for i in range(ops_per_round)
        ],
        prepare,
    )
    await store.destroy()
    raw.close()
    await store.close()
    await pykv.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--ops", type=int, default=200, help="calls per side, round and operation")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (plus one warm-up)")
    args = parser.parse_args()
    url = os.environ.get("KV_AEROSPIKE_URL")
    if not url:
        sys.exit(
            "bench_aerospike needs an Aerospike server: set KV_AEROSPIKE_URL"
            " (aerospike://HOST:PORT/NAMESPACE); none can run on the development machine"
        )
    results = asyncio.run(measure(url, args.ops, args.rounds))
    with open("/proc/loadavg") as load:
        average = load.read().split()[0]
    print(
        f"Python {sys.version.split()[0]}, Aerospike server at {AerospikeStore(url).options.hosts},"
        f" {args.ops} calls x {args.rounds} rounds, load {average}\n"
    )
    print(
        "| operation | kv (µs) | aerospike (µs) | py-key-value (µs) | kv / raw"
        " | kv / py-key-value |"
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
