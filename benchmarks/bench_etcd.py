"""etcd:// beside the raw aetcd client, on a real etcd (py-key-value has no etcd store).

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_etcd.py
    .venv/bin/python benchmarks/bench_etcd.py --ops 100 --rounds 9

It starts a real etcd (Debian's etcd-server, as the tests do) on a free
loopback port, and runs in ONE process and one event loop two sides doing
the same work under their own prefixes:

* **kv**: ``kv.connect("etcd://127.0.0.1:PORT/bench-kv")``;
* **raw**: an ``aetcd.Client`` writing and reading the same keys in the same
  layout (kv's JSON document as the value, ``json.loads`` on read).

Operations, each timed over ``--ops`` calls per round (µs per call): ``get``
of a present key, ``put`` (no TTL), ``put ttl`` (a 600 s TTL: kv attaches the
lease of the expiry second, granted once and shared; raw grants a lease for
every put, the plain way), ``delete`` of a present key (written before the
clock starts; both ask for the previous value, as kv needs it to tell a live
entry), ``get_many`` and ``put_many`` of 10, 100 and 300 keys (raw: one
transaction per 128 keys, concurrently, as kv sends them). The sides take
turns within every round (the side that goes first alternates); each cell is
the median over the rounds, and each ratio the median of the per-round
ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aetcd  # type: ignore[import-untyped]
from timing import batch_size, interleaved

import kv
from kv.entry import StoredEntry, encode_document
from kv_conformance.emulators import etcd
from kv_etcd.store import EtcdStore

VALUE: dict[str, Any] = {"name": "Alice", "age": 30, "tags": ["a", "b"], "active": True}
SIDES = ("kv", "raw")
TXN_OPS = 128
Call = Callable[[], Awaitable[Any]]


def operations() -> list[str]:
    return [
        "get",
        "put",
        "put ttl",
        "delete",
        "get_many(10)",
        "put_many(10)",
        "get_many(100)",
        "put_many(100)",
        "get_many(300)",
        "put_many(300)",
    ]


class Raw:
    """aetcd, the same keys and values kv writes (under the prefix ``bench-raw``)."""

    def __init__(self, port: int) -> None:
        self.client = aetcd.Client(host="127.0.0.1", port=port)

    @staticmethod
    def key(key: str) -> bytes:
        return f"bench-raw/c/{key}".encode()

    @staticmethod
    def value(key: str, value: dict[str, Any], ttl: float | None = None) -> bytes:
        now = time.time()
        entry = StoredEntry(
            json.dumps(value, separators=(",", ":")), now, None if ttl is None else now + ttl
        )
        return encode_document(entry, collection="c", key=key).encode()

    async def get(self, key: str) -> Any:
        found = await self.client.get(self.key(key))
        return None if found is None else json.loads(found.value)["value"]

    async def put(self, key: str, value: dict[str, Any], ttl: int | None = None) -> None:
        lease = None if ttl is None else await self.client.lease(ttl)
        await self.client.put(self.key(key), self.value(key, value, ttl), lease=lease)

    async def delete(self, key: str) -> bool:
        return await self.client.delete(self.key(key), prev_kv=True) is not None

    async def get_many(self, keys: list[str]) -> list[Any]:
        tx = self.client.transactions

        async def chunk(part: list[str]) -> list[Any]:
            gets = [tx.get(self.key(key)) for key in part]
            _, responses = await self.client.transaction(compare=[], success=gets, failure=[])
            return [pair for found in responses for pair in found]

        parts = [keys[i : i + TXN_OPS] for i in range(0, len(keys), TXN_OPS)]
        pages = await asyncio.gather(*(chunk(part) for part in parts))
        found = {meta.key: json.loads(value)["value"] for page in pages for value, meta in page}
        return [found.get(self.key(key)) for key in keys]

    async def put_many(self, keys: list[str], values: list[dict[str, Any]]) -> None:
        tx = self.client.transactions
        puts = [tx.put(self.key(k), self.value(k, v)) for k, v in zip(keys, values)]
        parts = [puts[i : i + TXN_OPS] for i in range(0, len(puts), TXN_OPS)]
        await asyncio.gather(
            *(self.client.transaction(compare=[], success=part, failure=[]) for part in parts)
        )


def call(side: str, store: EtcdStore, raw: Raw, operation: str, index: int) -> Call:
    size = batch_size(operation)
    keys = [f"many-{n}" for n in range(size)]
    values = [dict(VALUE, n=n) for n in range(size)]
    if side == "raw":
        if operation == "get":
            return lambda: raw.get("present")
        if operation == "put":
            return lambda: raw.put("written", VALUE)
        if operation == "put ttl":
            return lambda: raw.put("leased", VALUE, ttl=600)
        if operation == "delete":
            return lambda: raw.delete(f"gone-{index}")
        if operation.startswith("get_many"):
            return lambda: raw.get_many(keys)
        return lambda: raw.put_many(keys, values)
    if operation == "get":
        return lambda: store.get("present", collection="c")
    if operation == "put":
        return lambda: store.put("written", VALUE, collection="c")
    if operation == "put ttl":
        return lambda: store.put("leased", VALUE, collection="c", ttl=600)
    if operation == "delete":
        return lambda: store.delete(f"gone-{index}", collection="c")
    if operation.startswith("get_many"):
        return lambda: store.get_many(keys, collection="c")
    return lambda: store.put_many(keys, values, collection="c")


async def prepare(side: str, store: EtcdStore, raw: Raw, operation: str, ops: int) -> None:
    """Untimed: the keys a round reads or deletes."""
    if operation == "delete":
        gone = [f"gone-{i}" for i in range(ops)]
        if side == "kv":
            await store.put_many(gone, [VALUE] * ops, collection="c")
        else:
            await raw.put_many(gone, [VALUE] * ops)
    if operation.startswith("get_many"):
        size = batch_size(operation)
        keys = [f"many-{n}" for n in range(size)]
        values = [dict(VALUE, n=n) for n in range(size)]
        if side == "kv":
            await store.put_many(keys, values, collection="c")
        else:
            await raw.put_many(keys, values)


async def measure(port: int, ops: int, rounds: int) -> dict[str, dict[str, Any]]:
    store = kv.connect(f"etcd://127.0.0.1:{port}/bench-kv")
    assert isinstance(store, EtcdStore)
    raw = Raw(port)
    await store.put("present", VALUE, collection="c")
    await raw.put("present", VALUE)
    results = await interleaved(
        operations(),
        SIDES,
        rounds,
        lambda side, operation: [call(side, store, raw, operation, i) for i in range(ops)],
        lambda side, operation: prepare(side, store, raw, operation, ops),
    )
    await store.destroy()
    await store.close()
    await raw.client.delete_prefix(b"bench-raw/")
    await raw.client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ops", type=int, default=200, help="calls per side, round and operation")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (plus one warm-up)")
    args = parser.parse_args()
    with etcd() as server:
        results = asyncio.run(measure(server.port, args.ops, args.rounds))
    with open("/proc/loadavg") as load:
        average = load.read().split()[0]
    print(
        f"Python {sys.version.split()[0]}, etcd 3.4 on loopback (a real server),"
        f" {args.ops} calls x {args.rounds} rounds, load {average}\n"
    )
    print("| operation | kv (µs) | aetcd (µs) | kv / raw |")
    print("|---|---:|---:|---:|")
    for operation, row in results.items():
        median = row["median"]
        print(
            f"| {operation} | {median['kv']:,.0f} | {median['raw']:,.0f} | {row['vs raw']:.2f}x |"
        )


if __name__ == "__main__":
    main()
