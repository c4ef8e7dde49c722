"""vault:// beside raw hvac and py-key-value's VaultStore, on a real Vault server.

Run (from the repository root) against a Vault whose KV version 2 engine is
mounted at ``secret/`` (a dev server: ``vault server -dev``)::

    KV_VAULT_URL=vault://127.0.0.1:8200/secret VAULT_TOKEN=... \\
        .venv/bin/python benchmarks/bench_vault.py --ops 100 --rounds 9

No Vault server can run on the project's machine: the GitHub workflow
``vault.yml`` runs this script against its Vault service container. It runs,
in ONE process and one event loop, three sides doing the same work in the
same layout (the secret ``COLLECTION::KEY`` holding ``{"value": DOCUMENT}``):

* **kv**: ``kv.connect(KV_VAULT_URL)``: hvac in kv's worker threads;
* **raw**: an ``hvac.Client`` called through ``asyncio.to_thread`` (what an
  asyncio program must do with a blocking client), ``json.loads`` on read;
  ``get_many``/``put_many`` send their requests side by side, as kv does;
* **py-key-value**: py-key-value-aio's ``VaultStore``, which calls hvac on
  the event loop's thread (blocking it) and loops over the keys of a batch.

Operations, each timed over ``--ops`` calls per round (µs per call): ``get``
of a present key, ``put`` (no TTL), ``delete`` of a present key (written
before the clock starts; kv: a read and a tombstone written with
check-and-set; raw and py-key-value: a read and a delete of the secret's
metadata), ``get_many`` and ``put_many`` of 10 keys. The sides take turns
within every round (the side that goes first rotates); each cell is the
median over the rounds, and each ratio the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from timing import batch_size, interleaved

import kv
from kv.entry import StoredEntry, encode_document
from kv_vault.client import base_url, make_client
from kv_vault.store import VaultStore

VALUE: dict[str, Any] = {"name": "Alice", "age": 30, "tags": ["a", "b"], "active": True}
SIDES = ("kv", "raw", "py-key-value")
Call = Callable[[], Awaitable[Any]]
OPERATIONS = ("get", "put", "delete", "get_many(10)", "put_many(10)")


class Raw:
    """hvac in a thread per call, the same secrets kv writes."""

    def __init__(self, store: VaultStore) -> None:
        self.client: Any = make_client(store.options)
        self.kv = self.client.secrets.kv.v2
        self.mount = store.options.mount

    def _get(self, path: str) -> Any:
        response = self.kv.read_secret_version(
            path=path, mount_point=self.mount, raise_on_deleted_version=True
        )
        return json.loads(response["data"]["data"]["value"])["value"]

    def _put(self, collection: str, key: str, value: dict[str, Any]) -> None:
        entry = StoredEntry(json.dumps(value, separators=(",", ":")), time.time())
        document = encode_document(entry, collection=collection, key=key)
        self.kv.create_or_update_secret(
            path=f"{collection}::{key}", secret={"value": document}, mount_point=self.mount
        )

    def _delete(self, path: str) -> bool:
        self.kv.read_secret_version(
            path=path, mount_point=self.mount, raise_on_deleted_version=True
        )
        self.kv.delete_metadata_and_all_versions(path=path, mount_point=self.mount)
        return True

    async def get(self, collection: str, key: str) -> Any:
        return await asyncio.to_thread(self._get, f"{collection}::{key}")

    async def put(self, collection: str, key: str, value: dict[str, Any]) -> None:
        await asyncio.to_thread(self._put, collection, key, value)

    async def delete(self, collection: str, key: str) -> bool:
        return await asyncio.to_thread(self._delete, f"{collection}::{key}")

    async def get_many(self, collection: str, keys: list[str]) -> list[Any]:
        return list(await asyncio.gather(*(self.get(collection, key) for key in keys)))

    async def put_many(self, collection: str, keys: list[str], values: list[Any]) -> None:
        await asyncio.gather(*(self.put(collection, k, v) for k, v in zip(keys, values)))

    def close(self) -> None:
        self.client.adapter.close()


def call(side: str, store: Any, raw: Raw, collection: str, operation: str, index: int) -> Call:
    size = batch_size(operation)
    keys = [f"many-{n}" for n in range(size)]
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


async def measure(url: str, ops: int, rounds: int) -> dict[str, dict[str, Any]]:
    from key_value.aio.stores.vault import VaultStore as PyKVVaultStore

    store = kv.connect(url)
    assert isinstance(store, VaultStore)
    await store.setup()
    raw = Raw(store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pykv = PyKVVaultStore(url=base_url(store.options) or "", mount_point=store.options.mount)
    run = uuid.uuid4().hex[:8]
    collections = {side: f"bench-{run}-{side}" for side in SIDES}
    stores: dict[str, Any] = {"kv": store, "raw": None, "py-key-value": pykv}
    for side in SIDES:
        await store.put("present", VALUE, collection=collections[side])
        await store.put_many(
            [f"many-{n}" for n in range(10)], [VALUE] * 10, collection=collections[side]
        )

    async def prepare(side: str, operation: str) -> None:
        if operation == "delete":  # the keys the round deletes
            gone = [f"gone-{i}" for i in range(ops)]
            await store.put_many(gone, [VALUE] * ops, collection=collections[side])

    try:
        results = await interleaved(
            OPERATIONS,
            SIDES,
            rounds,
            lambda side, operation: [
                call(side, stores[side], raw, collections[side], operation, i) for i in range(ops)
            ],
            prepare,
        )
    finally:
        for collection in collections.values():
            await store.destroy_collection(collection)
        raw.close()
        await store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ops", type=int, default=100, help="calls per side, round and operation")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (plus one warm-up)")
    args = parser.parse_args()
    url = os.environ.get("KV_VAULT_URL")
    if not url:
        sys.exit(
            "KV_VAULT_URL must name a Vault server (vault://HOST:PORT/MOUNT), VAULT_TOKEN its token"
        )
    results = asyncio.run(measure(url, args.ops, args.rounds))
    with open("/proc/loadavg") as load:
        average = load.read().split()[0]
    print(
        f"Python {sys.version.split()[0]}, Vault at {url.split('?')[0]},"
        f" {args.ops} calls x {args.rounds} rounds, load {average}\n"
    )
    print("| operation | kv (µs) | hvac (µs) | py-key-value (µs) | kv / raw | kv / py-key-value |")
    print("|---|---:|---:|---:|---:|---:|")
    for operation, row in results.items():
        median = row["median"]
        print(
            f"| {operation} | {median['kv']:,.0f} | {median['raw']:,.0f}"
            f" | {median['py-key-value']:,.0f} | {row['vs raw']:.2f}x | {row['vs pykv']:.2f}x |"
        )


if __name__ == "__main__":
    main()
