"""What each wrapper adds per get and per put, over ``memory://``.

Run: ``uv run python benchmarks/bench_wrappers.py`` (add ``--quick`` for a short run).

Every one of the 18 wrappers of kv-wrappers (and the value-transform base
alone) is put over a ``memory://`` store (two memory stores for fallback,
routing and the pass-through cache) and timed on ``get`` of a present key
and ``put`` of a small value, beside ``memory://`` alone in the same run:
each round times the bare store and every wrapper once, in turn, and the
fastest round of each counts, so the machine's noise hits all alike.
"added" is the wrapper's time minus the bare store's. A wrapper whose module
is missing is listed as such, so the script runs while wrappers are being
written.

Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
from collections.abc import Callable
from typing import Any

import kv
from kv._typecheck import typecheck_enabled

VALUE = {"name": "Alice", "n": 1}
KEY = "key-7"

Factory = Callable[[Any], Any]
"""Builds the store to time from the wrapper class (``None`` for the bare store)."""


def _memory() -> kv.AsyncKeyValue:
    return kv.connect("memory://")


def _fernet() -> Any:
    from cryptography.fernet import Fernet

    return Fernet(Fernet.generate_key())


def _routing(cls: Any) -> Any:
    other, default = _memory(), _memory()

    def route(collection: str | None) -> kv.AsyncKeyValue | None:
        return other if collection == "other" else None

    return cls(route, default_store=default, stores=[other])


# (label, module, class name, factory, note)
CASES: list[tuple[str, str, str, Factory, str]] = [
    ("BaseWrapper", "base", "BaseWrapper", lambda cls: cls(_memory()), ""),
    (
        "ValueTransformWrapper",
        "transform",
        "ValueTransformWrapper",
        lambda cls: cls(_memory()),
        "the value-transform base alone, no hooks",
    ),
    (
        "CompressionWrapper",
        "compression",
        "CompressionWrapper",
        lambda cls: cls(_memory()),
        "small value, below min_size_to_compress: stored as is",
    ),
    (
        "CompressionWrapper (min_size_to_compress=0)",
        "compression",
        "CompressionWrapper",
        lambda cls: cls(_memory(), min_size_to_compress=0),
        "every value gzip-compressed",
    ),
    (
        "FernetEncryptionWrapper",
        "encryption",
        "FernetEncryptionWrapper",
        lambda cls: cls(_memory(), fernet=_fernet()),
        "Fernet key",
    ),
    (
        "FallbackWrapper",
        "fallback",
        "FallbackWrapper",
        lambda cls: cls(_memory(), _memory()),
        "primary answers",
    ),
    (
        "LimitSizeWrapper",
        "limit_size",
        "LimitSizeWrapper",
        lambda cls: cls(_memory(), max_size=10_000),
        "max_size=10000",
    ),
    (
        "LoggingWrapper",
        "logging",
        "LoggingWrapper",
        lambda cls: cls(_memory()),
        "INFO records, logger not enabled for INFO",
    ),
    (
        "PassthroughCacheWrapper",
        "passthrough_cache",
        "PassthroughCacheWrapper",
        lambda cls: cls(_memory(), _memory()),
        "get: cache hit; put: invalidate cache + write primary",
    ),
    (
        "PrefixCollectionsWrapper",
        "prefix_collections",
        "PrefixCollectionsWrapper",
        lambda cls: cls(_memory(), prefix="app"),
        "",
    ),
    (
        "PrefixKeysWrapper",
        "prefix_keys",
        "PrefixKeysWrapper",
        lambda cls: cls(_memory(), prefix="tenant"),
        "",
    ),
    (
        "ReadOnlyWrapper",
        "read_only",
        "ReadOnlyWrapper",
        lambda cls: cls(_memory(), raise_on_write=False),
        "raise_on_write=False: put is ignored",
    ),
    (
        "RetryWrapper",
        "retry",
        "RetryWrapper",
        lambda cls: cls(_memory()),
        "no failure: the retry loop is never entered",
    ),
    (
        "SingleCollectionWrapper",
        "single_collection",
        "SingleCollectionWrapper",
        lambda cls: cls(_memory(), single_collection="all"),
        "",
    ),
    ("StatisticsWrapper", "statistics", "StatisticsWrapper", lambda cls: cls(_memory()), ""),
    (
        "TimeoutWrapper",
        "timeout",
        "TimeoutWrapper",
        lambda cls: cls(_memory(), timeout=5.0),
        "one anyio cancel scope per call",
    ),
    (
        "TTLClampWrapper",
        "ttl_clamp",
        "TTLClampWrapper",
        lambda cls: cls(_memory(), min_ttl=1, max_ttl=3600),
        "put without TTL",
    ),
    (
        "RoutingWrapper",
        "routing",
        "RoutingWrapper",
        _routing,
        "routing function, two memory stores",
    ),
    (
        "CollectionRoutingWrapper",
        "routing",
        "CollectionRoutingWrapper",
        lambda cls: cls({"other": _memory()}, default_store=_memory()),
        "two memory stores",
    ),
    (
        "DefaultValueWrapper",
        "default_value",
        "DefaultValueWrapper",
        lambda cls: cls(_memory(), default_value={"missing": True}),
        "key present",
    ),
]


def build_stores() -> tuple[list[tuple[str, Any, str]], list[tuple[str, str]]]:
    """The stores to time (label, store, note), and the wrappers that are missing."""
    stores: list[tuple[str, Any, str]] = [("memory:// alone", _memory(), "baseline")]
    missing: list[tuple[str, str]] = []
    for label, module, name, factory, note in CASES:
        try:
            cls = getattr(importlib.import_module(f"kv_wrappers.{module}"), name)
            stores.append((label, factory(cls), note))
        except ImportError as error:
            missing.append((label, f"not available: {error}"))
    return stores, missing


clock = time.perf_counter_ns
"""What is timed: wall time, or this thread's CPU time with ``--cpu-time``."""


async def time_loop(store: Any, operation: str, loops: int) -> float:
    """Nanoseconds per call of ``loops`` gets or puts."""
    if operation == "get":
        get = store.get
        start = clock()
        for _ in range(loops):
            await get(KEY)
    else:
        put = store.put
        start = clock()
        for _ in range(loops):
            await put(KEY, VALUE)
    return (clock() - start) / loops


async def measure(
    loops: int, rounds: int
) -> tuple[list[tuple[str, float, float, str]], list[tuple[str, str]]]:
    """Best ns per get and per put of every store, rounds interleaved."""
    stores, missing = build_stores()
    for _, store, _ in stores:
        await store.put(KEY, VALUE)
        if await store.get(KEY) is None:  # the read-only wrapper ignored the put
            await store.key_value.put(KEY, VALUE)
        assert await store.get(KEY) == VALUE
        await time_loop(store, "get", 100)  # warm up: type checks, caches
        await time_loop(store, "put", 100)
    best: dict[str, dict[str, float]] = {label: {} for label, _, _ in stores}
    for _ in range(rounds):
        for label, store, _ in stores:
            for operation in ("get", "put"):
                ns = await time_loop(store, operation, loops)
                best[label][operation] = min(best[label].get(operation, ns), ns)
    rows = [(label, best[label]["get"], best[label]["put"], note) for label, _, note in stores]
    return rows, missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time this thread's CPU time, not wall time (steadier on a busy machine)",
    )
    args = parser.parse_args()
    loops, rounds = (2_000, 3) if args.quick else (4_000, 30)
    if args.cpu_time:
        global clock
        clock = time.thread_time_ns

    rows, missing = asyncio.run(measure(loops, rounds))
    base_get, base_put = rows[0][1], rows[0][2]

    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    print(f"Python {sys.version.split()[0]}, runtime type checks {checks}, ")
    timed = "this thread's CPU time" if args.cpu_time else "wall time"
    print(f"best of {rounds} rounds of {loops:,} calls each, {timed}\n")
    print("| wrapper over memory:// | get (ns) | added per get | put (ns) | added per put | note |")
    print("|---|---:|---:|---:|---:|---|")
    for label, get_ns, put_ns, note in rows:
        if label == rows[0][0]:
            print(f"| {label} | {get_ns:,.0f} | | {put_ns:,.0f} | | {note} |")
            continue
        print(
            f"| {label} | {get_ns:,.0f} | {get_ns - base_get:+,.0f} |"
            f" {put_ns:,.0f} | {put_ns - base_put:+,.0f} | {note} |"
        )
    for label, reason in missing:
        print(f"| {label} | | | | | {reason} |")


if __name__ == "__main__":
    main()
