"""s3:// beside the raw aioboto3 client and py-key-value's S3Store, on moto's S3 server.

Run: ``uv run python benchmarks/bench_s3.py`` (``--quick`` for a short run).

Starts moto's server on a free loopback port (``moto[server]`` must be
installed), then measures, in one run, per operation (µs):

* get: ``store.get`` vs GetObject + reading the body + ``json.loads`` and its
  ``value``;
* put: ``store.put`` vs building the same document and metadata + PutObject;
* delete: ``store.delete`` vs HeadObject + DeleteObject (a delete that says
  whether the key existed);
* get_many / put_many (100 keys): vs 100 GetObject / PutObject calls, at most
  10 in flight (the store's ``max_connections``);
* delete_many (100 keys): vs 100 HeadObject calls (10 in flight) and one
  DeleteObjects;
* delete again, beside one blind DeleteObject (which cannot tell whether the
  key existed): what that answer costs.

py-key-value's S3Store does the same calls in the same run (its bulk calls
loop over the single ones). The three sides alternate in every round; each
figure is the median of the rounds, and each ratio the median of the
per-round ratios. These are emulator figures: moto answers in Python, so
they compare client-side costs and request counts, not S3's latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

import aioboto3

import kv
from kv._typecheck import typecheck_enabled
from kv_conformance.emulators import moto_server

BATCH = 100
LIMIT = 10
CREDENTIALS: dict[str, Any] = {
    "region": "us-east-1",
    "aws_access_key_id": "bench",
    "aws_secret_access_key": "bench-secret",
}
KEYS = [f"key-{i}" for i in range(BATCH)]
VALUES = [{"name": "Alice", "n": i} for i in range(BATCH)]

Run = Callable[[], Awaitable[None]]


async def bounded(calls: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run ``calls`` at most ``LIMIT`` at a time (as the store does)."""
    semaphore = asyncio.Semaphore(LIMIT)

    async def one(call: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


def document(value: dict[str, Any], ttl: float | None = None) -> tuple[bytes, dict[str, str]]:
    """py-key-value's body and metadata for ``value``."""
    now = datetime.now(tz=timezone.utc)
    fields: dict[str, Any] = {"created_at": now.isoformat(), "value": value, "version": 1}
    metadata = {"created-at": now.isoformat()}
    if ttl is not None:
        fields["expires_at"] = metadata["expires-at"] = (now + timedelta(seconds=ttl)).isoformat()
    return json.dumps(fields, sort_keys=True).encode(), metadata


NAMES = [
    "get",
    "put",
    "delete",
    f"get_many (per key, {BATCH} keys)",
    f"put_many (per key, {BATCH} keys)",
    f"delete_many (per key, {BATCH} keys)",
    "delete, beside one blind DeleteObject",
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

    return [get, put, delete, get_many, put_many, delete_many, delete]


def raw_runs(client: Any, bucket: str, loops: int) -> list[Run]:
    """The same six runs on the raw aioboto3 client, in py-key-value's layout."""

    async def read(key: str) -> Any:
        found = await client.get_object(Bucket=bucket, Key=f"bench/{key}")
        async with found["Body"] as stream:
            return json.loads(await stream.read())["value"]

    async def write(key: str, value: dict[str, Any]) -> None:
        body, metadata = document(value)
        await client.put_object(
            Bucket=bucket,
            Key=f"bench/{key}",
            Body=body,
            ContentType="application/json",
            Metadata=metadata,
        )

    async def head(key: str) -> bool:
        try:
            await client.head_object(Bucket=bucket, Key=f"bench/{key}")
        except client.exceptions.ClientError:
            return False
        return True

    async def get() -> None:
        for _ in range(loops):
            await read("key-7")

    async def put() -> None:
        for _ in range(loops):
            await write("key-7", VALUES[7])

    async def delete() -> None:
        for i in range(loops):
            key = f"key-{i % BATCH}"
            if await head(key):
                await client.delete_object(Bucket=bucket, Key=f"bench/{key}")

    async def get_many() -> None:
        await bounded([partial(read, key) for key in KEYS])

    async def put_many() -> None:
        await bounded([partial(write, k, v) for k, v in zip(KEYS, VALUES)])

    async def delete_many() -> None:
        found = await bounded([partial(head, key) for key in KEYS])
        objects = [{"Key": f"bench/{key}"} for key, there in zip(KEYS, found) if there]
        if objects:
            await client.delete_objects(Bucket=bucket, Delete={"Objects": objects})

    async def blind_delete() -> None:
        for i in range(loops):
            await client.delete_object(Bucket=bucket, Key=f"bench/key-{i % BATCH}")

    return [get, put, delete, get_many, put_many, delete_many, blind_delete]


async def measure(endpoint: str, loops: int, rounds: int) -> list[tuple[str, list[float]]]:
    """(operation, [raw, kv, py-key-value medians, kv/raw, py-key-value/raw ratios])."""
    from key_value.aio.stores.s3 import S3Store as PyKVS3Store

    bucket = f"bench-{uuid.uuid4().hex[:12]}"
    store = kv.connect(f"s3://{bucket}?endpoint_url={endpoint}", **CREDENTIALS)
    session = aioboto3.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench-secret", region_name="us-east-1"
    )
    pykv = PyKVS3Store(
        bucket_name=bucket,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench-secret",
    )
    async with session.client("s3", endpoint_url=endpoint) as client, pykv:
        await store.put_many(KEYS, VALUES, collection="bench")  # creates the bucket
        sides = [raw_runs(client, bucket, loops), store_runs(store, loops), store_runs(pykv, loops)]
        refill = store_runs(store, loops)[4]
        operations = [loops, loops, loops, BATCH, BATCH, BATCH, loops]
        timings: list[list[list[float]]] = [[[] for _ in sides] for _ in NAMES]
        try:
            for round_number in range(rounds + 1):  # the first round warms up
                for index in range(len(NAMES)):
                    order = list(range(len(sides)))
                    if round_number % 2:
                        order.reverse()  # each side goes first every other round
                    for side in order:
                        if not NAMES[index].startswith("put"):
                            await refill()  # every read and delete finds its keys
                        start = time.perf_counter()
                        await sides[side][index]()
                        elapsed = (time.perf_counter() - start) / operations[index] * 1e6
                        if round_number:
                            timings[index][side].append(elapsed)
        finally:
            await store.destroy()  # type: ignore[attr-defined]
            await store.close()
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
    warnings.filterwarnings("ignore", "A configured store is unstable", UserWarning)
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    args = parser.parse_args()
    loops, rounds = (20, 3) if args.quick else (50, 9)
    with moto_server() as server:
        rows = asyncio.run(measure(f"http://127.0.0.1:{server.port}", loops, rounds))
    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    loadavg = Path("/proc/loadavg")
    load = " ".join(loadavg.read_text().split()[:3]) if loadavg.exists() else "?"
    print(
        f"Python {sys.version.split()[0]}, moto {__import__('moto').__version__} on loopback"
        f" (an emulator), type checks {checks}, load {load}, medians of {rounds} rounds\n"
    )
    print("| operation | aioboto3 (µs) | s3:// (µs) | ratio | py-key-value S3Store (µs) | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (raw, ours, theirs, ours_ratio, theirs_ratio) in rows:
        print(
            f"| {name} | {raw:,.0f} | {ours:,.0f} | {ours_ratio:.2f}x"
            f" | {theirs:,.0f} | {theirs_ratio:.2f}x |"
        )


if __name__ == "__main__":
    main()
