"""What each wrapper adds to the calls it does not change, over ``memory://``.

Run: ``uv run python benchmarks/bench_wrappers.py`` (``--quick`` for a short
run; ``--cases Compression,Retry`` for some wrappers only).

Every wrapper of kv-wrappers (and the two bases alone) is put over a
``memory://`` store (two memory stores for fallback, routing and the
pass-through cache) and timed on the calls it leaves unchanged: a put of a
value below the compression threshold, a read of an uncompressed value, a
value under the size limit, a TTL within the clamp's bounds, the happy path of
retry and timeout, the reads of the read-only wrapper, every call of the
logging wrapper when its logger is not enabled, ... The calls a wrapper does
change (encryption of every value, the renaming of the prefix wrappers, the
cache) are timed too, marked ``changes``, for reference. py-key-value's wrapper
of the same name (``key_value.aio.wrappers``) is timed beside it over
py-key-value's ``MemoryStore``, on the same calls.

Each round times every (store, call) pair once, in turn, so the machine's
noise hits all alike; a pair's figure is the median of its rounds. "added" is
the wrapped store's time minus the bare store's (same library, same call, same
run) and "x" their ratio. ``--also PACKAGE`` times the wrappers of a second
copy of kv-wrappers in the same run (say, the previous release's, imported
under another name) on rows of their own.

Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import logging
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import kv
from kv._typecheck import typecheck_enabled

VALUE = {"name": "Alice", "n": 1}
"""A small value: 24 bytes of JSON, far below every threshold and limit."""
KEY = "key-7"
KEYS = ["key-1", "key-2", "key-3"]
MISSING = "missing"

ALL = ("get", "ttl", "put", "put ttl=60", "delete", "get_many", "put_many")
READS = ("get", "ttl", "get_many")

Timed = Callable[[Any, int], Awaitable[None]]
"""Runs one call ``n`` times on a store."""


async def _get(store: Any, n: int) -> None:
    get = store.get
    for _ in range(n):
        await get(KEY)


async def _ttl(store: Any, n: int) -> None:
    ttl = store.ttl
    for _ in range(n):
        await ttl(KEY)


async def _put(store: Any, n: int) -> None:
    put = store.put
    for _ in range(n):
        await put(KEY, VALUE)


async def _put_ttl(store: Any, n: int) -> None:
    put = store.put
    for _ in range(n):
        await put(KEY, VALUE, ttl=60.0)


async def _delete(store: Any, n: int) -> None:
    delete = store.delete
    for _ in range(n):
        await delete(MISSING)


async def _get_many(store: Any, n: int) -> None:
    get_many = store.get_many
    for _ in range(n):
        await get_many(KEYS)


async def _put_many(store: Any, n: int) -> None:
    put_many = store.put_many
    values = [VALUE] * len(KEYS)
    for _ in range(n):
        await put_many(KEYS, values)


CALLS: dict[str, Timed] = {
    "get": _get,
    "ttl": _ttl,
    "put": _put,
    "put ttl=60": _put_ttl,
    "delete": _delete,
    "get_many": _get_many,
    "put_many": _put_many,
}

Memory = Callable[[], Any]
Factory = Callable[[Any, Memory], Any]
"""Builds the store to time from the wrapper class and a maker of bare memory stores."""


def _fernet() -> Any:
    from cryptography.fernet import Fernet

    return Fernet(Fernet.generate_key())


def _routing(cls: Any, memory: Memory) -> Any:
    other, default = memory(), memory()

    def route(collection: str | None) -> Any:
        return other if collection == "other" else None

    if cls.__module__.startswith("key_value."):
        return cls(route, default_store=default)
    return cls(route, default_store=default, stores=[other])


@dataclass
class Case:
    label: str
    module: str
    """The module of kv_wrappers that defines the wrapper."""
    name: str
    factory: Factory
    unchanged: tuple[str, ...]
    """The calls the wrapper leaves unchanged (the figures the goal is about)."""
    changed: tuple[str, ...] = ()
    """Calls it changes, timed for reference."""
    note: str = ""
    pykv: str | None = None
    """The module of ``key_value.aio.wrappers`` with the same wrapper, if any."""
    pykv_changed: tuple[str, ...] = field(default=())
    """Calls py-key-value's wrapper changes that kv's does not (shown as such)."""


CASES: list[Case] = [
    Case("BaseWrapper", "base", "BaseWrapper", lambda c, m: c(m()), ALL),
    Case(
        "ValueTransformWrapper",
        "transform",
        "ValueTransformWrapper",
        lambda c, m: c(m()),
        ALL,
        note="the value-transform base, no hooks",
    ),
    Case(
        "CompressionWrapper",
        "compression",
        "CompressionWrapper",
        lambda c, m: c(m()),
        ALL,
        note="values below min_size_to_compress (1024): stored as they are",
        pykv="compression",
    ),
    Case(
        "CompressionWrapper(min_size_to_compress=0)",
        "compression",
        "CompressionWrapper",
        lambda c, m: c(m(), min_size_to_compress=0),
        ("delete",),
        changed=("get", "put"),
        note="every value gzip-compressed",
        pykv="compression",
    ),
    Case(
        "FernetEncryptionWrapper",
        "encryption",
        "FernetEncryptionWrapper",
        lambda c, m: c(m(), fernet=_fernet()),
        ("delete",),
        changed=("get", "put"),
        note="every value is encrypted: only delete is unchanged",
        pykv="encryption",
    ),
    Case(
        "FallbackWrapper",
        "fallback",
        "FallbackWrapper",
        lambda c, m: c(m(), m()),
        ALL,
        note="the primary answers",
        pykv="fallback",
    ),
    Case(
        "LimitSizeWrapper",
        "limit_size",
        "LimitSizeWrapper",
        lambda c, m: c(m(), max_size=10_000),
        ALL,
        note="max_size=10000, values under it",
        pykv="limit_size",
    ),
    Case(
        "LoggingWrapper",
        "logging",
        "LoggingWrapper",
        lambda c, m: c(m()),
        ALL,
        note="logger not enabled for INFO",
        pykv="logging",
    ),
    Case(
        "PassthroughCacheWrapper",
        "passthrough_cache",
        "PassthroughCacheWrapper",
        lambda c, m: c(m(), m()),
        (),
        changed=("get", "put"),
        note="every call goes through the cache: get is a hit, put invalidates",
        pykv="passthrough_cache",
    ),
    Case(
        "PrefixCollectionsWrapper",
        "prefix_collections",
        "PrefixCollectionsWrapper",
        lambda c, m: c(m(), prefix="app"),
        (),
        changed=("get", "put", "get_many"),
        note="renames every collection",
        pykv="prefix_collections",
    ),
    Case(
        "PrefixKeysWrapper",
        "prefix_keys",
        "PrefixKeysWrapper",
        lambda c, m: c(m(), prefix="tenant"),
        (),
        changed=("get", "put", "get_many"),
        note="renames every key",
        pykv="prefix_keys",
    ),
    Case(
        "SingleCollectionWrapper",
        "single_collection",
        "SingleCollectionWrapper",
        lambda c, m: c(m(), single_collection="all"),
        (),
        changed=("get", "put", "get_many"),
        note="renames every key",
        pykv="single_collection",
    ),
    Case(
        "ReadOnlyWrapper",
        "read_only",
        "ReadOnlyWrapper",
        lambda c, m: c(m(), raise_on_write=False),
        READS,
        changed=("put",),
        note="raise_on_write=False: reads pass, put is ignored",
        pykv="read_only",
    ),
    Case(
        "RetryWrapper",
        "retry",
        "RetryWrapper",
        lambda c, m: c(m()),
        ALL,
        note="no failure",
        pykv="retry",
    ),
    Case(
        "StatisticsWrapper",
        "statistics",
        "StatisticsWrapper",
        lambda c, m: c(m()),
        ALL,
        note="counts each call",
        pykv="statistics",
    ),
    Case(
        "TimeoutWrapper",
        "timeout",
        "TimeoutWrapper",
        lambda c, m: c(m(), timeout=5.0),
        ALL,
        note="timeout=5, calls that finish in time",
        pykv="timeout",
    ),
    Case(
        "TTLClampWrapper",
        "ttl_clamp",
        "TTLClampWrapper",
        lambda c, m: c(m(), min_ttl=1, max_ttl=3600),
        ALL,
        note="1 <= ttl <= 3600; a put without TTL is left without",
        pykv="ttl_clamp",
    ),
    Case(
        "RoutingWrapper",
        "routing",
        "RoutingWrapper",
        _routing,
        ALL,
        note="routing function, calls routed to the default store",
        pykv="routing",
    ),
    Case(
        "CollectionRoutingWrapper",
        "routing",
        "CollectionRoutingWrapper",
        lambda c, m: c({"other": m()}, default_store=m()),
        ALL,
        note="calls routed to the default store",
        pykv="routing",
    ),
    Case(
        "DefaultValueWrapper",
        "default_value",
        "DefaultValueWrapper",
        lambda c, m: c(m(), default_value={"missing": True}),
        ALL,
        note="keys present",
        pykv="default_value",
    ),
]


def _kv_memory() -> Any:
    return kv.connect("memory://")


def _pykv_memory() -> Any:
    from key_value.aio.stores.memory import MemoryStore

    return MemoryStore()


@dataclass
class Subject:
    """One store to time: a bare memory store or a wrapper over memory stores."""

    library: str
    label: str
    store: Any
    calls: tuple[str, ...]
    case: Case | None = None
    loops: dict[str, int] = field(default_factory=dict)
    timings: dict[str, list[float]] = field(default_factory=dict)


def build(cases: list[Case], packages: list[str], pykv: bool) -> tuple[list[Subject], list[str]]:
    """The stores to time, bare ones first, and the wrappers that could not be built."""
    subjects = [Subject("kv", "memory:// alone", _kv_memory(), ALL)]
    if pykv:
        subjects.append(Subject("py-key-value", "MemoryStore alone", _pykv_memory(), ALL))
    missing: list[str] = []
    for package in packages:
        tag = "" if package == "kv_wrappers" else f" [{package}]"
        for case in cases:
            calls = case.unchanged + case.changed
            try:
                cls = getattr(importlib.import_module(f"{package}.{case.module}"), case.name)
                store = case.factory(cls, _kv_memory)
            except ImportError as error:
                missing.append(f"{case.label}{tag}: not available: {error}")
                continue
            subjects.append(Subject("kv", case.label + tag, store, calls, case))
    if pykv:
        for case in cases:
            if case.pykv is None:
                continue
            module = importlib.import_module(f"key_value.aio.wrappers.{case.pykv}")
            cls = getattr(module, case.name)
            if "min_size_to_compress=0" in case.label:  # py-key-value compresses above it
                store = cls(_pykv_memory(), min_size_to_compress=0)
            else:
                store = case.factory(cls, _pykv_memory)
            calls = case.unchanged + case.changed
            subjects.append(Subject("py-key-value", case.label, store, calls, case))
    return subjects, missing


async def _fill(subject: Subject) -> None:
    store = subject.store
    inner = getattr(store, "key_value", store)
    for key in (KEY, *KEYS):
        await store.put(key, VALUE)
        if await store.get(key) != VALUE:  # the read-only wrapper ignored the put
            await inner.put(key, VALUE)
        assert await store.get(key) == VALUE, subject.label


async def _timed(call: Timed, store: Any, loops: int) -> float:
    start = clock()
    await call(store, loops)
    return (clock() - start) / loops


clock = time.perf_counter_ns
"""What is timed: wall time, or this thread's CPU time with ``--cpu-time``."""


async def measure(subjects: list[Subject], rounds: int, target_ns: float) -> None:
    """Median ns per call of every (store, call) pair, rounds interleaved.

    Each pair runs about ``target_ns`` per round (its loop count is set once,
    from a warm-up), so slow stores are not given fewer rounds. The garbage
    collector runs between rounds only.
    """
    for subject in subjects:
        await _fill(subject)
        for name in subject.calls:
            await _timed(CALLS[name], subject.store, 200)  # warm up: type checks, caches
            per_call = await _timed(CALLS[name], subject.store, 200)
            subject.loops[name] = max(50, int(target_ns / max(per_call, 1.0)))
            subject.timings[name] = []
    gc.disable()  # as timeit does: a collection would land on the same pair every round
    try:
        for _ in range(rounds):
            gc.collect()
            for subject in subjects:
                for name in subject.calls:
                    ns = await _timed(CALLS[name], subject.store, subject.loops[name])
                    subject.timings[name].append(ns)
    finally:
        gc.enable()


def _median_us(subject: Subject, name: str) -> float:
    return statistics.median(subject.timings[name]) / 1000


def table(subjects: list[Subject]) -> list[str]:
    bare = {s.library: s for s in subjects[:2] if s.label.endswith("alone")}
    by_case: dict[tuple[str, str], Subject] = {(s.library, s.label): s for s in subjects}
    rows = [
        "| wrapper over memory | call | | kv bare µs | kv wrapped µs | kv added µs | kv x"
        " | py-kv bare µs | py-kv wrapped µs | py-kv added µs | py-kv x |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cells(library: str, subject: Subject | None, name: str) -> str:
        if subject is None or library not in bare or name not in subject.calls:
            return " | | | |"
        base, wrapped = _median_us(bare[library], name), _median_us(subject, name)
        return f" {base:.2f} | {wrapped:.2f} | {wrapped - base:+.2f} | {wrapped / base:.2f}x |"

    for ours in subjects:
        if ours.library != "kv" or ours.case is None:
            continue
        theirs = by_case.get(("py-key-value", ours.case.label))
        for name in ours.calls:
            kind = "changes" if name in ours.case.changed else "unchanged"
            rows.append(
                f"| {ours.label} | {name} | {kind} |"
                + cells("kv", ours, name)
                + cells("py-key-value", theirs, name)
            )
    return rows


def _notes(cases: list[Case]) -> list[str]:
    return [f"* {case.label}: {case.note}" for case in cases if case.note]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 15; quick 3)")
    parser.add_argument(
        "--cases", default="", help="comma-separated substrings of wrapper names to time"
    )
    parser.add_argument("--no-pykv", action="store_true", help="leave py-key-value's wrappers out")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="PACKAGE",
        help="also time the wrappers of this importable copy of kv_wrappers",
    )
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time this thread's CPU time, not wall time (steadier on a busy machine)",
    )
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 15)
    target_ns = 1e6 if args.quick else 2e6
    if args.cpu_time:
        global clock
        clock = time.thread_time_ns
    wanted = [part for part in args.cases.split(",") if part]
    cases = [c for c in CASES if not wanted or any(w in c.label for w in wanted)]
    logging.getLogger().setLevel(logging.WARNING)  # INFO records are not enabled

    subjects, missing = build(cases, ["kv_wrappers", *args.also], not args.no_pykv)
    asyncio.run(measure(subjects, rounds, target_ns))

    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    timed = "this thread's CPU time" if args.cpu_time else "wall time"
    with open("/proc/loadavg") as loadavg:
        load = " ".join(loadavg.read().split()[:3])
    print(f"Python {sys.version.split()[0]}, runtime type checks {checks}, {timed},")
    print(f"median of {rounds} interleaved rounds of ~{target_ns / 1e6:.0f} ms per call")
    print(f"and store; load average after the run: {load}\n")
    for row in table(subjects):
        print(row)
    print()
    for line in _notes(cases):
        print(line)
    for line in missing:
        print(f"* {line}")


if __name__ == "__main__":
    main()
