"""dynamodb:// beside raw aioboto3 and py-key-value's DynamoDBStore, on DynamoDB Local.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_dynamodb.py
    .venv/bin/python benchmarks/bench_dynamodb.py --ops 100 --rounds 9 --target moto

Emulator figures: it starts Amazon's DynamoDB Local (in memory; ``--target
moto``: moto's server) on a free loopback port, as the tests do, and runs in
ONE process and one event loop three sides doing the same work on one table:

* **kv**: ``kv.connect("dynamodb://TABLE?endpoint_url=...")``;
* **raw**: the aioboto3 client the kv store uses (kv-aws's ``AwsClients``,
  same settings), writing and reading the same items in the same layout
  (the JSON document in ``value``, ``json.loads`` on read);
* **py-key-value**: py-key-value-aio's ``DynamoDBStore`` on the same table.

Operations, each timed over ``--ops`` calls per round (µs per call): ``get``
of a present key, ``put`` (no TTL), ``delete`` of a present key (written
before the clock starts), ``get_many`` and ``put_many`` of 10 and of 100 keys
(raw: one BatchGetItem / BatchWriteItem per 100 / 25 keys, chunks
concurrently, as kv sends them). The sides take turns within every round
(the side that goes first rotates); each cell is the median over the
rounds, and each ratio the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from timing import batch_size, interleaved

import kv
from kv.entry import StoredEntry, encode_document
from kv_aws import AwsClients
from kv_conformance.emulators import dynamodb_local, moto_server
from kv_dynamodb.store import DynamoDBStore

TABLE = "kv-bench"
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
    """aioboto3, the same items kv writes: the document in ``value``."""

    def __init__(self, store: DynamoDBStore) -> None:
        self.clients = AwsClients("dynamodb", store.options)
        self.table = store.table

    def _key(self, collection: str, key: str) -> dict[str, Any]:
        return {"collection": {"S": collection}, "key": {"S": key}}

    def _item(self, collection: str, key: str, value: dict[str, Any]) -> dict[str, Any]:
        entry = StoredEntry(json.dumps(value, separators=(",", ":")), time.time())
        document = encode_document(entry, collection=collection, key=key)
        return {**self._key(collection, key), "value": {"S": document}}

    async def get(self, collection: str, key: str) -> Any:
        client = await self.clients.get()
        response = await client.get_item(
            TableName=self.table, Key=self._key(collection, key), ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else json.loads(item["value"]["S"])["value"]

    async def put(self, collection: str, key: str, value: dict[str, Any]) -> None:
        client = await self.clients.get()
        await client.put_item(TableName=self.table, Item=self._item(collection, key, value))

    async def delete(self, collection: str, key: str) -> bool:
        client = await self.clients.get()
        response = await client.delete_item(
            TableName=self.table, Key=self._key(collection, key), ReturnValues="ALL_OLD"
        )
        return "Attributes" in response

    async def get_many(self, collection: str, keys: list[str]) -> list[Any]:
        client = await self.clients.get()

        async def chunk(part: list[str]) -> list[Any]:
            request = {"Keys": [self._key(collection, k) for k in part], "ConsistentRead": True}
            response = await client.batch_get_item(RequestItems={self.table: request})
            return list(response["Responses"][self.table])

        pages = await asyncio.gather(*(chunk(keys[i : i + 100]) for i in range(0, len(keys), 100)))
        found = {
            item["key"]["S"]: json.loads(item["value"]["S"])["value"]
            for page in pages
            for item in page
        }
        return [found.get(key) for key in keys]

    async def put_many(self, collection: str, keys: list[str], values: list[Any]) -> None:
        client = await self.clients.get()
        requests = [
            {"PutRequest": {"Item": self._item(collection, key, value)}}
            for key, value in zip(keys, values)
        ]

        async def chunk(part: list[Any]) -> None:
            await client.batch_write_item(RequestItems={self.table: part})

        await asyncio.gather(*(chunk(requests[i : i + 25]) for i in range(0, len(requests), 25)))

    async def close(self) -> None:
        await self.clients.close()


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


async def measure(endpoint: str, ops: int, rounds: int) -> dict[str, dict[str, Any]]:
    from key_value.aio.stores.dynamodb import DynamoDBStore as PyKVDynamoDBStore

    key_id, secret = "bench", "bench-secret"
    store = kv.connect(
        f"dynamodb://{TABLE}?region=us-east-1&endpoint_url={endpoint}",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )
    assert isinstance(store, DynamoDBStore)
    await store.setup()  # creates the table
    raw = Raw(store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pykv = PyKVDynamoDBStore(
            table_name=TABLE,
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
        )
        await pykv.setup()
    stores: dict[str, Any] = {"kv": store, "raw": None, "py-key-value": pykv}
    for side in SIDES:
        prepared = stores[side] or store
        await prepared.put("present", VALUE, collection=COLLECTION[side])

    async def prepare(side: str, operation: str) -> None:
        if operation == "delete":  # the keys the round deletes
            gone = [f"gone-{i}" for i in range(ops)]
            await store.put_many(gone, [VALUE] * ops, collection=COLLECTION[side])

    results = await interleaved(
        operations(),
        SIDES,
        rounds,
        lambda side, operation: [call(side, stores[side], raw, operation, i) for i in range(ops)],
        prepare,
    )
    await raw.close()
    await store.close()
    await pykv.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ops", type=int, default=200, help="calls per side, round and operation")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (plus one warm-up)")
    parser.add_argument("--target", choices=("dynamodb-local", "moto"), default="dynamodb-local")
    args = parser.parse_args()
    server = dynamodb_local() if args.target == "dynamodb-local" else moto_server()
    with server:
        results = asyncio.run(measure(f"http://127.0.0.1:{server.port}", args.ops, args.rounds))
    with open("/proc/loadavg") as load:
        average = load.read().split()[0]
    print(
        f"Python {sys.version.split()[0]}, {args.target} on loopback (emulator figures),"
        f" {args.ops} calls x {args.rounds} rounds, load {average}\n"
    )
    print(
        "| operation | kv (µs) | aioboto3 (µs) | py-key-value (µs) | kv / raw | kv / py-key-value |"
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
