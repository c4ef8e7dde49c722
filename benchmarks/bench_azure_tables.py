"""azure-tables:// beside raw azure-data-tables and py-key-value's AzureTablesStore, on Azurite.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_azure_tables.py
    .venv/bin/python benchmarks/bench_azure_tables.py --ops 100 --rounds 9

Emulator figures: it starts Azurite's Table service (in memory) on a free
loopback port, as the tests do, and runs in ONE process and one event loop
three sides doing the same work on one table, each in its own partition:

* **kv**: ``kv.connect("azure-tables://devstoreaccount1/TABLE", connection_string=...)``;
* **raw**: azure-data-tables' asynchronous ``TableClient`` made as the kv store
  makes its own (kv-azure-tables' ``TableClients``: same session and
  settings), writing and reading the same entities (the JSON document in
  ``Value``, ``json.loads`` on read);
* **py-key-value**: py-key-value-aio's ``AzureTablesStore`` on the same table.

Operations, each timed over ``--ops`` calls per round (µs per call): ``get``
of a present key, ``put`` (no TTL), ``delete`` of a present key (written
before the clock starts; every side reads the entity, then deletes it only
if unchanged: raw with ``delete_entity(etag=...)``, kv with a one-operation
transaction, which also tells a concurrent delete apart), ``get_many`` and
``put_many`` of 10 and of 100 keys (raw: filter queries of 14 keys and
transactions of 100 upserts, sent at once, as kv sends them). The sides take
turns within every round (the side that goes first rotates); each cell is the
median over the rounds, and each ratio the median of the per-round ratios.

A second table compares the two plans of a raw ``get_many``: the filter
queries kv sends, and one ``get_entity`` per key, all at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient
from timing import batch_size, interleaved

import kv
from kv.entry import StoredEntry, encode_document
from kv_azure_tables.clients import TableClients
from kv_azure_tables.store import AzureTablesStore
from kv_conformance.emulators import AZURITE_ACCOUNT, azurite_connection_string, azurite_tables

TABLE = "kvbench"
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


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Raw:
    """azure-data-tables, the same entities kv writes: the document in ``Value``."""

    def __init__(self, store: AzureTablesStore) -> None:
        assert store.target is not None
        self.clients = TableClients(store.target, store.options)
        self.client: TableClient | None = None

    async def _client(self) -> TableClient:
        if self.client is None:
            self.client = await self.clients.new()
        return self.client

    @staticmethod
    def _entity(collection: str, key: str, value: dict[str, Any]) -> dict[str, Any]:
        entry = StoredEntry(json.dumps(value, separators=(",", ":")), time.time())
        document = encode_document(entry, collection=collection, key=key)
        return {"PartitionKey": collection, "RowKey": key, "Value": document}

    async def get(self, collection: str, key: str) -> Any:
        client = await self._client()
        entity = await client.get_entity(collection, key)
        return json.loads(entity["Value"])["value"]

    async def put(self, collection: str, key: str, value: dict[str, Any]) -> None:
        client = await self._client()
        await client.upsert_entity(self._entity(collection, key, value), mode=UpdateMode.REPLACE)

    async def delete(self, collection: str, key: str) -> bool:
        client = await self._client()
        entity = await client.get_entity(collection, key, select=["RowKey"])
        await client.delete_entity(
            collection,
            key,
            etag=entity.metadata["etag"],
            match_condition=MatchConditions.IfNotModified,
        )
        return True

    async def get_many(self, collection: str, keys: list[str]) -> list[Any]:
        client = await self._client()

        async def chunk(part: list[str]) -> list[Any]:
            rows = " or ".join(f"RowKey eq {_quote(key)}" for key in part)
            query = f"PartitionKey eq {_quote(collection)} and ({rows})"
            return [entity async for entity in client.query_entities(query)]

        pages = await asyncio.gather(*(chunk(keys[i : i + 14]) for i in range(0, len(keys), 14)))
        found = {
            entity["RowKey"]: json.loads(entity["Value"])["value"]
            for page in pages
            for entity in page
        }
        return [found.get(key) for key in keys]

    async def get_each(self, collection: str, keys: list[str]) -> list[Any]:
        """``get_many`` as point reads, all at once (the plan kv does not use)."""
        client = await self._client()
        entities = await asyncio.gather(*(client.get_entity(collection, key) for key in keys))
        return [json.loads(entity["Value"])["value"] for entity in entities]

    async def put_many(self, collection: str, keys: list[str], values: list[Any]) -> None:
        client = await self._client()
        operations = [
            ("upsert", self._entity(collection, key, value), {"mode": UpdateMode.REPLACE})
            for key, value in zip(keys, values)
        ]

        async def chunk(part: list[Any]) -> None:
            await client.submit_transaction(part)

        await asyncio.gather(
            *(chunk(operations[i : i + 100]) for i in range(0, len(operations), 100))
        )

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


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


async def plans(raw: Raw, ops: int, rounds: int) -> dict[int, tuple[float, float]]:
    """Median µs of a raw get_many of 10 and 100 keys: filter queries, point reads."""
    found: dict[int, tuple[float, float]] = {}
    for size in (10, 100):
        keys = _keys(size, "many")
        times: tuple[list[float], list[float]] = ([], [])
        for number in range(rounds + 1):
            for index, plan in ((0, raw.get_many), (1, raw.get_each))[:: 1 if number % 2 else -1]:
                start = time.perf_counter()
                for _ in range(ops):
                    await plan("raw", keys)
                if number:
                    times[index].append((time.perf_counter() - start) / ops * 1e6)
        found[size] = (statistics.median(times[0]), statistics.median(times[1]))
    return found


async def measure(
    connection_string: str, ops: int, rounds: int
) -> tuple[dict[str, dict[str, Any]], dict[int, tuple[float, float]]]:
    from key_value.aio.stores.azure_tables import AzureTablesStore as PyKVAzureTablesStore

    store = kv.connect(
        f"azure-tables://{AZURITE_ACCOUNT}/{TABLE}", connection_string=connection_string
    )
    assert isinstance(store, AzureTablesStore)
    await store.setup()  # creates the table
    raw = Raw(store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pykv = PyKVAzureTablesStore(connection_string=connection_string, table_name=TABLE)
        await pykv.setup()
    stores: dict[str, Any] = {"kv": store, "raw": None, "py-key-value": pykv}
    for side in SIDES:
        await store.put("present", VALUE, collection=COLLECTION[side])

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
    compared = await plans(raw, ops, rounds)
    await raw.close()
    await store.close()
    await pykv.close()
    return results, compared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ops", type=int, default=200, help="calls per side, round and operation")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (plus one warm-up)")
    args = parser.parse_args()
    with azurite_tables() as server:
        results, compared = asyncio.run(
            measure(azurite_connection_string(server), args.ops, args.rounds)
        )
    with open("/proc/loadavg") as load:
        average = load.read().split()[0]
    print(
        f"Python {sys.version.split()[0]}, Azurite 3.35 (Table service, in memory) on loopback"
        f" (emulator figures), {args.ops} calls x {args.rounds} rounds, load {average}\n"
    )
    print(
        "| operation | kv (µs) | azure-data-tables (µs) | py-key-value (µs) | kv / raw"
        " | kv / py-key-value |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for operation, row in results.items():
        median = row["median"]
        print(
            f"| {operation} | {median['kv']:,.0f} | {median['raw']:,.0f}"
            f" | {median['py-key-value']:,.0f} | {row['vs raw']:.2f}x | {row['vs pykv']:.2f}x |"
        )
    print("\n| raw get_many plan | filter queries of 14 keys (µs) | get_entity per key (µs) |")
    print("|---|---:|---:|")
    for size, (queries, points) in compared.items():
        print(f"| {size} keys | {queries:,.0f} | {points:,.0f} |")


if __name__ == "__main__":
    main()
