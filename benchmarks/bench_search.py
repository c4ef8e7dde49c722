"""elasticsearch:// and opensearch:// beside their raw clients and py-key-value, on osmem-server.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_search.py
    .venv/bin/python benchmarks/bench_search.py --engine opensearch --ops 100 --rounds 9

Emulator figures: it starts osmem-server (an in-memory emulator of the
OpenSearch REST API, which the Elasticsearch client talks to as well) on a
free loopback port, as the tests do, and for each engine runs in ONE process
and one event loop three sides doing the same work, each in its own index
(collection) of one prefix:

* **kv**: ``kv.connect("elasticsearch://127.0.0.1:PORT/bench")`` (or
  ``opensearch://``), default options (writes do not refresh);
* **raw**: the engine's async client used directly with its own API methods
  (``get``, ``index``, ``delete``, ``mget``, ``bulk``), the same documents in
  the same layout, no refresh; the elasticsearch client in its ``serverless``
  mode, whose plain JSON media types osmem-server accepts;
* **py-key-value**: py-key-value-aio's ``ElasticsearchStore`` /
  ``OpenSearchStore`` (which refresh on every put, as they always do; on
  osmem-server kv creates the Elasticsearch side's index first: the emulator
  has no ``flattened`` type).

Operations, each timed over ``--ops`` calls per round (µs per call): ``get``
of a present key, ``put`` (no TTL), ``delete`` of a present key (written
before the clock starts; kv reads which keys are live, then deletes on
condition of their versions: two requests where raw sends one),
``get_many`` and ``put_many`` of 10 and of 100 keys (raw: one ``_mget`` /
``_bulk``). The sides take turns within every round (the side that goes
first rotates); each cell is the median over the rounds, and each ratio the
median of the per-round ratios.
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
from kv.entry import StoredEntry
from kv_conformance.emulators import osmem
from kv_search.layout import encode_collection, write_document
from kv_search.store import SearchStore

PREFIX = "bench"
VALUE: dict[str, Any] = {"name": "Alice", "age": 30, "tags": ["a", "b"], "active": True}
SIDES = ("kv", "raw", "py-key-value")
COLLECTION = {"kv": "kv", "raw": "raw", "py-key-value": "pykv"}
ENGINES = {"elasticsearch": "flattened", "opensearch": "flat"}
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


class Raw:
    """The engine's client with its own API methods, py-key-value's documents."""

    def __init__(self, engine: str, http: str) -> None:
        self.engine = engine
        self.field = ENGINES[engine]
        self.index = encode_collection(PREFIX, COLLECTION["raw"])
        if engine == "elasticsearch":
            from elasticsearch import AsyncElasticsearch

            self.client: Any = AsyncElasticsearch(http, server_mode="serverless")
        else:
            from opensearchpy import AsyncOpenSearch

            self.client = AsyncOpenSearch(http)

    def _document(self, key: str, value: dict[str, Any]) -> dict[str, Any]:
        entry = StoredEntry(json.dumps(value, separators=(",", ":")), time.time())
        document: dict[str, Any] = json.loads(
            write_document(COLLECTION["raw"], key, entry, self.field)
        )
        return document

    def _value(self, source: dict[str, Any]) -> Any:
        return source["value"][self.field]

    async def get(self, key: str) -> Any:
        response = await self.client.get(index=self.index, id=key)
        return self._value(response["_source"])

    async def put(self, key: str, value: dict[str, Any]) -> None:
        if self.engine == "elasticsearch":
            await self.client.index(index=self.index, id=key, document=self._document(key, value))
        else:
            await self.client.index(index=self.index, id=key, body=self._document(key, value))

    async def delete(self, key: str) -> bool:
        response = await self.client.delete(index=self.index, id=key)
        return bool(response["result"] == "deleted")

    async def get_many(self, keys: list[str]) -> list[Any]:
        if self.engine == "elasticsearch":
            response = await self.client.mget(index=self.index, ids=keys)
        else:
            response = await self.client.mget(index=self.index, body={"ids": keys})
        return [
            self._value(doc["_source"]) if doc.get("found") else None for doc in response["docs"]
        ]

    async def put_many(self, keys: list[str], values: list[dict[str, Any]]) -> None:
        actions: list[dict[str, Any]] = []
        for key, value in zip(keys, values):
            actions += [{"index": {"_index": self.index, "_id": key}}, self._document(key, value)]
        if self.engine == "elasticsearch":
            response = await self.client.bulk(operations=actions)
        else:
            response = await self.client.bulk(body=actions)
        assert not response["errors"]

    async def close(self) -> None:
        await self.client.close()


def call(side: str, store: Any, raw: Raw, operation: str, index: int) -> Call:
    collection = COLLECTION[side]
    size = batch_size(operation)
    keys = [f"many-{n}" for n in range(size)]
    values = [dict(VALUE, n=n) for n in range(size)]
    if side == "raw":
        if operation == "get":
            return lambda: raw.get("present")
        if operation == "put":
            return lambda: raw.put("written", VALUE)
        if operation == "delete":
            return lambda: raw.delete(f"gone-{index}")
        if operation.startswith("get_many"):
            return lambda: raw.get_many(keys)
        return lambda: raw.put_many(keys, values)
    if operation == "get":
        return lambda: store.get("present", collection=collection)
    if operation == "put":
        return lambda: store.put("written", VALUE, collection=collection)
    if operation == "delete":
        return lambda: store.delete(f"gone-{index}", collection=collection)
    if operation.startswith("get_many"):
        return lambda: store.get_many(keys, collection=collection)
    return lambda: store.put_many(keys, values, collection=collection)


def py_key_value_store(engine: str, http: str) -> tuple[Any, Any]:
    """py-key-value's store of the engine, and the client to close after it (or None)."""
    if engine == "elasticsearch":
        from elasticsearch import AsyncElasticsearch
        from key_value.aio.stores.elasticsearch import ElasticsearchStore

        client = AsyncElasticsearch(http, server_mode="serverless")
        return ElasticsearchStore(elasticsearch_client=client, index_prefix=PREFIX), client
    from key_value.aio.stores.opensearch import OpenSearchStore

    return OpenSearchStore(url=http, index_prefix=PREFIX), None


async def measure(engine: str, port: int, ops: int, rounds: int) -> dict[str, dict[str, Any]]:
    http = f"http://127.0.0.1:{port}"
    store = kv.connect(f"{engine}://127.0.0.1:{port}/{PREFIX}")
    assert isinstance(store, SearchStore)
    raw = Raw(engine, http)
    if engine == "elasticsearch":  # osmem-server has no 'flattened' type: kv's index
        await store.put("seed", VALUE, collection=COLLECTION["py-key-value"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pykv, pykv_client = py_key_value_store(engine, http)
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
    await raw.close()
    await store.destroy()
    await store.close()
    await pykv.close()
    if pykv_client is not None:
        await pykv_client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ops", type=int, default=200, help="calls per side, round and operation")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (plus one warm-up)")
    parser.add_argument("--engine", choices=(*ENGINES, "both"), default="both")
    args = parser.parse_args()
    engines = list(ENGINES) if args.engine == "both" else [args.engine]
    tables = {}
    with osmem() as server:
        for engine in engines:
            tables[engine] = asyncio.run(measure(engine, server.port, args.ops, args.rounds))
    with open("/proc/loadavg") as load:
        average = load.read().split()[0]
    print(
        f"Python {sys.version.split()[0]}, osmem-server on loopback (emulator figures),"
        f" {args.ops} calls x {args.rounds} rounds, load {average}\n"
    )
    for engine, results in tables.items():
        client = "elasticsearch" if engine == "elasticsearch" else "opensearch-py"
        print(f"{engine}://\n")
        print(
            f"| operation | kv (µs) | {client} (µs) | py-key-value (µs) | kv / raw"
            " | kv / py-key-value |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        for operation, row in results.items():
            median = row["median"]
            print(
                f"| {operation} | {median['kv']:,.0f} | {median['raw']:,.0f}"
                f" | {median['py-key-value']:,.0f} | {row['vs raw']:.2f}x"
                f" | {row['vs pykv']:.2f}x |"
            )
        print()


if __name__ == "__main__":
    main()
