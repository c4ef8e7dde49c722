"""Server stores: kv beside the raw client and py-key-value, every operation, in one run.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_servers.py
    .venv/bin/python benchmarks/bench_servers.py --stores redis,postgresql --ops 200 --rounds 15

For each store (``redis``, ``valkey``, ``memcached``, ``postgresql``) it starts
the real server on a free port of 127.0.0.1 (as the tests do) and runs, in ONE
process and one event loop, three sides doing the same work:

* **kv**: ``kv.connect(url)``;
* **raw**: the client library the kv store uses, or the usual one where kv
  speaks the protocol itself, writing and reading the same documents in the
  same layout: redis-py and valkey-py built with the store's own settings
  (:func:`kv_resp.build_client`), aiomcache (kv-memcached has its own
  protocol code), asyncpg with kv's SQL on kv's table;
* **py-key-value**: py-key-value-aio's store for the same server.

Operations, each timed over ``--ops`` calls per round (µs per call): ``get``
of a present key, ``put`` of a value (no TTL), ``delete`` of a present key
(the keys are written before the clock starts), ``get_many`` and ``put_many``
of 10 keys, ``keys(limit=10)`` on a collection of 10,000 keys, and ``keys()``
of that whole collection (``--ops`` / 100 calls per round, at least one).
Natively: ``SCAN ... MATCH ... COUNT`` until the limit or the cursor's end
(COUNT 10 for the limit, 1,000 for the whole collection), keys decoded and
their collection prefix cut off; on PostgreSQL kv's own page query for the
limit, and one ``SELECT key ... ORDER BY key`` for the whole collection.
The raw side lists the keys kv wrote (same layout); py-key-value has its own
collection (its own database on Redis, its own table on PostgreSQL).

The sides take turns within every round (the side that goes first rotates),
so background load hits all alike; each cell is the median over the rounds,
and the ratios are the medians of the per-round ratios. An empty cell says
the library lacks the operation (the note under the table says which).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import statistics
import sys
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from bench_load import document, memcached_server, postgres_server, resp_servers

import kv
from kv._typecheck import typecheck_enabled
from kv_resp import build_client

VALUE: dict[str, Any] = {"name": "Alice", "age": 30, "tags": ["a", "b"], "active": True}
OPS = "ops"
LISTED = "listed"
LISTED_KEYS = 10_000
BATCH = 10
LIMIT = 10
OPERATIONS = (
    "get",
    "put",
    "delete",
    f"get_many({BATCH})",
    f"put_many({BATCH})",
    f"keys(limit={LIMIT})",
    "keys()",
)
SIDES = ("kv", "raw", "py-key-value")

Call = Callable[[], Awaitable[Any]]


class Side:
    """One way of doing the operations; ``None`` from :meth:`call` means "not offered"."""

    missing: dict[str, str]

    def __init__(self) -> None:
        self.missing = {}

    async def open(self) -> None:
        """Connect, and write the keys the operations read (not timed)."""

    def call(self, operation: str, index: int) -> Call | None:
        raise NotImplementedError

    async def before(self, operation: str, keys: list[str]) -> None:
        """Untimed preparation of a round of ``operation`` (``delete``: write the keys)."""

    async def close(self) -> None:
        raise NotImplementedError


def _keys(count: int, tag: str) -> list[str]:
    return [f"{tag}-{index}" for index in range(count)]


BATCH_KEYS = _keys(BATCH, "many")
BATCH_VALUES = [dict(VALUE, n=index) for index in range(BATCH)]
LISTED_NAMES = _keys(LISTED_KEYS, "key")


class ProtocolSide(Side):
    """A kv or py-key-value store: the same calls."""

    def __init__(self, store: Any, *, enumerates: str | None = None) -> None:
        super().__init__()
        self.store = store
        if enumerates is not None:
            self.missing[f"keys(limit={LIMIT})"] = enumerates
            self.missing["keys()"] = enumerates

    async def open(self) -> None:
        store = self.store
        await store.put("present", VALUE, collection=OPS)
        await store.put_many(BATCH_KEYS, BATCH_VALUES, collection=OPS)
        if "keys()" not in self.missing:
            for start in range(0, LISTED_KEYS, 500):
                chunk = LISTED_NAMES[start : start + 500]
                await store.put_many(chunk, [VALUE] * len(chunk), collection=LISTED)

    async def before(self, operation: str, keys: list[str]) -> None:
        if operation == "delete":
            await self.store.put_many(keys, [VALUE] * len(keys), collection=OPS)

    def call(self, operation: str, index: int) -> Call | None:
        if operation in self.missing:
            return None
        store = self.store
        if operation == "get":
            return lambda: store.get("present", collection=OPS)
        if operation == "put":
            return lambda: store.put("written", VALUE, collection=OPS)
        if operation == "delete":
            key = f"gone-{index}"
            return lambda: store.delete(key, collection=OPS)
        if operation.startswith("get_many"):
            return lambda: store.get_many(BATCH_KEYS, collection=OPS)
        if operation.startswith("put_many"):
            return lambda: store.put_many(BATCH_KEYS, BATCH_VALUES, collection=OPS)
        if operation.startswith("keys(limit"):
            return lambda: store.keys(LISTED, limit=LIMIT)
        return lambda: store.keys(LISTED)

    async def close(self) -> None:
        await self.store.close()


class RespRaw(Side):
    """redis-py or valkey-py, built with the kv store's own settings."""

    def __init__(self, url: str) -> None:
        super().__init__()
        settings: Any = kv.connect(url)
        self.client = build_client(settings.driver, settings.target, settings.options)

    def call(self, operation: str, index: int) -> Call | None:
        client = self.client
        loads = json.loads
        if operation == "get":

            async def get() -> Any:
                return loads(await client.get("ops::present"))["value"]

            return get
        if operation == "put":
            return lambda: client.set("ops::written", document("written", VALUE, None))
        if operation == "delete":
            return lambda: client.delete(f"ops::gone-{index}")
        names = [f"ops::{key}" for key in BATCH_KEYS]
        if operation.startswith("get_many"):

            async def get_many() -> Any:
                found = await client.mget(names)
                return [None if raw is None else loads(raw)["value"] for raw in found]

            return get_many
        if operation.startswith("put_many"):

            async def put_many() -> None:
                mapping = {
                    name: document(key, value, None)
                    for name, key, value in zip(names, BATCH_KEYS, BATCH_VALUES)
                }
                await client.mset(mapping)

            return put_many
        if operation.startswith("keys(limit"):
            return lambda: self.scan(LIMIT, LIMIT)
        return lambda: self.scan(1000, None)

    async def scan(self, count: int, limit: int | None) -> list[str]:
        """The keys of the listed collection, natively: SCAN MATCH to the limit or the end."""
        cut = len(f"{LISTED}::")
        found: list[str] = []
        cursor = 0
        while True:
            cursor, batch = await self.client.scan(cursor, match=f"{LISTED}::*", count=count)
            found.extend(bytes(name[cut:]).decode() for name in batch)
            if limit is not None and len(found) >= limit:
                return found[:limit]
            if not cursor:
                return found

    async def before(self, operation: str, keys: list[str]) -> None:
        if operation == "delete":
            await self.client.mset({f"ops::{key}": document(key, VALUE, None) for key in keys})

    async def close(self) -> None:
        await self.client.aclose()


class MemcachedRaw(Side):
    """aiomcache with kv's default connection count (8); no multi-set, no listing."""

    def __init__(self, port: int) -> None:
        super().__init__()
        import aiomcache

        self.client = aiomcache.Client("127.0.0.1", port, pool_size=8)
        reason = "memcached cannot list its keys"
        self.missing = {f"keys(limit={LIMIT})": reason, "keys()": reason}

    def call(self, operation: str, index: int) -> Call | None:
        if operation in self.missing:
            return None
        client = self.client
        loads = json.loads
        if operation == "get":

            async def get() -> Any:
                return loads(await client.get(b"ops::present"))["value"]  # type: ignore[arg-type]

            return get
        if operation == "put":
            return lambda: client.set(b"ops::written", document("written", VALUE, None).encode())
        if operation == "delete":
            return lambda: client.delete(f"ops::gone-{index}".encode())
        names = [f"ops::{key}".encode() for key in BATCH_KEYS]
        if operation.startswith("get_many"):

            async def get_many() -> Any:
                found = await client.multi_get(*names)
                return [None if raw is None else loads(raw)["value"] for raw in found]

            return get_many

        async def put_many() -> None:  # aiomcache has no multi-set
            for name, key, value in zip(names, BATCH_KEYS, BATCH_VALUES):
                await client.set(name, document(key, value, None).encode())

        return put_many

    async def before(self, operation: str, keys: list[str]) -> None:
        if operation == "delete":
            for key in keys:
                await self.client.set(f"ops::{key}".encode(), document(key, VALUE, None).encode())

    async def close(self) -> None:
        await self.client.close()


class PostgresRaw(Side):
    """One dedicated asyncpg connection (the fastest way asyncpg offers: no pool, its
    statement cache) with the kv store's ``command_timeout``, running kv's SQL on kv's
    table."""

    def __init__(self, dsn: str, table: str) -> None:
        super().__init__()
        from kv_postgresql.sql import Statements

        self.dsn = dsn
        self.sql = Statements(f'"{table}"')
        live = "(expires_at IS NULL OR expires_at > to_timestamp($2))"
        self.keys_sql = f'SELECT key FROM "{table}" WHERE collection = $1 AND {live} ORDER BY key'
        self.pool: Any = None

    async def open(self) -> None:
        import asyncpg

        timeout = kv.connect(self.dsn).options.command_timeout  # type: ignore[attr-defined]
        self.pool = await asyncpg.connect(self.dsn, command_timeout=timeout)

    def call(self, operation: str, index: int) -> Call | None:
        from kv_postgresql.names import TOKEN

        pool, sql = self.pool, self.sql
        loads, dumps, now = json.loads, json.dumps, time.time
        if operation == "get":

            async def get() -> Any:
                row = await pool.fetchrow(sql.get, OPS, "present")
                if row is None or (row[2] is not None and row[2] <= now()):
                    return None
                return loads(row[0])

            return get
        if operation == "put":

            async def put() -> None:
                await pool.execute(sql.put, OPS, "written", dumps(VALUE), None, now(), None)

            return put
        if operation == "delete":
            key = f"gone-{index}"
            return lambda: pool.fetchval(sql.delete, OPS, key, now())
        if operation.startswith("get_many"):

            async def get_many() -> Any:
                rows = await pool.fetch(sql.get_many, OPS, BATCH_KEYS)
                moment = now()
                found = {row[0]: loads(row[1]) for row in rows if row[3] is None or row[3] > moment}
                return [found.get(key) for key in BATCH_KEYS]

            return get_many
        if operation.startswith("put_many"):

            async def put_many() -> None:
                texts = [dumps(value) for value in BATCH_VALUES]
                await pool.execute(sql.put_many, OPS, BATCH_KEYS, texts, None, now(), None)

            return put_many
        if operation.startswith("keys(limit"):

            async def keys_limit() -> list[str]:  # kv's page query, first page
                rows = await pool.fetch(sql.key_page, LISTED, "", now(), LIMIT, TOKEN)
                return [row[0] for row in rows]

            return keys_limit

        async def keys_all() -> list[str]:
            return [row[0] for row in await pool.fetch(self.keys_sql, LISTED, now())]

        return keys_all

    async def before(self, operation: str, keys: list[str]) -> None:
        if operation == "delete":
            texts = [json.dumps(VALUE)] * len(keys)
            await self.pool.execute(self.sql.put_many, OPS, keys, texts, None, time.time(), None)

    async def close(self) -> None:
        await self.pool.close()


# --------------------------------------------------------------------------- stores

SideMaker = Callable[[int], dict[str, "Side | str"]]


@contextmanager
def _resp_server(binary: Callable[[], str], name: str) -> Iterator[int]:
    with resp_servers().standalone_server(name, binary()) as server:
        yield server.port


def _redis_sides(port: int) -> dict[str, Side | str]:
    from key_value.aio.stores.redis import RedisStore

    url = f"redis://127.0.0.1:{port}/0"
    return {
        "kv": ProtocolSide(kv.connect(url)),
        "raw": RespRaw(url),
        "py-key-value": ProtocolSide(RedisStore(url=f"redis://127.0.0.1:{port}/1")),
    }


def _valkey_sides(port: int) -> dict[str, Side | str]:
    url = f"valkey://127.0.0.1:{port}/0"
    pykv: Side | str = "its ValkeyStore needs valkey-glide, which is not installed"
    if importlib.util.find_spec("glide") is not None:
        from key_value.aio.stores.valkey import ValkeyStore

        pykv = ProtocolSide(
            ValkeyStore(host="127.0.0.1", port=port, db=1),
            enumerates="its ValkeyStore cannot list keys",
        )
    return {"kv": ProtocolSide(kv.connect(url)), "raw": RespRaw(url), "py-key-value": pykv}


def _memcached_sides(port: int) -> dict[str, Side | str]:
    from key_value.aio.stores.memcached import MemcachedStore

    reason = "memcached cannot list its keys"
    return {
        "kv": ProtocolSide(kv.connect(f"memcached://127.0.0.1:{port}"), enumerates=reason),
        "raw": MemcachedRaw(port),
        "py-key-value": ProtocolSide(
            MemcachedStore(host="127.0.0.1", port=port), enumerates=reason
        ),
    }


def _postgresql_sides(port: int) -> dict[str, Side | str]:
    from key_value.aio.stores.postgresql import PostgreSQLStore

    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    reason = "its PostgreSQLStore lists collections, not keys"
    return {
        "kv": ProtocolSide(kv.connect(f"{dsn}?table=bench_kv")),
        "raw": PostgresRaw(dsn, "bench_kv"),
        "py-key-value": ProtocolSide(
            PostgreSQLStore(url=dsn, table_name="bench_pykv"), enumerates=reason
        ),
    }


def _redis_binary() -> str:
    return str(resp_servers().redis_binary())


def _valkey_binary() -> str:
    return str(resp_servers().valkey_binary())


STORES: dict[str, tuple[Callable[[], AbstractContextManager[int]], SideMaker, str]] = {
    "redis": (lambda: _resp_server(_redis_binary, "redis-servers"), _redis_sides, "redis-py"),
    "valkey": (lambda: _resp_server(_valkey_binary, "valkey-servers"), _valkey_sides, "valkey-py"),
    "memcached": (memcached_server, _memcached_sides, "aiomcache"),
    "postgresql": (postgres_server, _postgresql_sides, "asyncpg"),
}


# --------------------------------------------------------------------------- timing


async def _timed(side: Side, operation: str, calls: int, round_number: int) -> float | None:
    """µs per call of ``calls`` calls of ``operation`` on ``side`` (``None``: not offered)."""
    if operation == "delete":
        indexes = [round_number * calls + index for index in range(calls)]
        await side.before(operation, [f"gone-{index}" for index in indexes])
    else:
        indexes = [0] * calls
    runs = [side.call(operation, index) for index in indexes]
    if runs[0] is None:
        return None
    ready = [run for run in runs if run is not None]
    start = time.perf_counter()
    for run in ready:
        await run()
    return (time.perf_counter() - start) / calls * 1e6


async def measure(
    sides: dict[str, Side | str], ops: int, rounds: int
) -> dict[str, dict[str, list[float]]]:
    """Samples (µs per call) of each side for each operation, sides interleaved."""
    live = {name: side for name, side in sides.items() if isinstance(side, Side)}
    for side in live.values():
        await side.open()
    for side in live.values():  # warm up: connections, statements, type checks
        for operation in OPERATIONS:
            await _timed(side, operation, 3, -1 - OPERATIONS.index(operation))
    samples: dict[str, dict[str, list[float]]] = {
        operation: {name: [] for name in live} for operation in OPERATIONS
    }
    order = list(live)
    for round_number in range(rounds):
        for operation in OPERATIONS:
            calls = max(1, ops // 100) if operation == "keys()" else ops
            turn = order[round_number % len(order) :] + order[: round_number % len(order)]
            for name in turn:
                elapsed = await _timed(live[name], operation, calls, round_number)
                if elapsed is not None:
                    samples[operation][name].append(elapsed)
    for side in live.values():
        await side.close()
    return samples


def _ratio(samples: dict[str, list[float]], mine: str, other: str) -> str:
    a, b = samples.get(mine, []), samples.get(other, [])
    if not a or not b:
        return ""
    return f"{statistics.median(x / y for x, y in zip(a, b)):.2f}x"


def table(store: str, raw_name: str, sides: dict[str, Side | str], samples: Any) -> list[str]:
    lines = [
        f"**{store}** (raw: {raw_name})",
        "",
        "| operation | kv (µs) | raw (µs) | py-key-value (µs) | kv / raw | kv / py-key-value |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    notes: dict[str, list[str]] = {}
    for name, side in sides.items():
        if isinstance(side, str):
            notes.setdefault(side, []).append(name)
        else:
            for operation, why in side.missing.items():
                notes.setdefault(why, []).append(f"{name} {operation}")
    for operation in OPERATIONS:
        cells = []
        for name in SIDES:
            found = samples[operation].get(name, [])
            cells.append(f"{statistics.median(found):,.1f}" if found else "")
        by_side = samples[operation]
        lines.append(
            f"| {operation} | {' | '.join(cells)} | {_ratio(by_side, 'kv', 'raw')}"
            f" | {_ratio(by_side, 'kv', 'py-key-value')} |"
        )
    if notes:
        said = "; ".join(f"{', '.join(where)}: {why}" for why, where in notes.items())
        lines += ["", f"Empty cells: {said}."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stores", default=",".join(STORES), help="comma-separated")
    parser.add_argument("--ops", type=int, default=200, help="calls per operation per round")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="A configured store is unstable")
    names = [name.strip() for name in args.stores.split(",") if name.strip()]
    unknown = [name for name in names if name not in STORES]
    if unknown:
        parser.error(f"unknown store(s): {', '.join(unknown)} (from {', '.join(STORES)})")
    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    command = " ".join([".venv/bin/python benchmarks/bench_servers.py", *sys.argv[1:]])
    with open("/proc/loadavg") as load:
        before = load.read().split()[:3]
    print(
        f"Median µs per call of {args.rounds} interleaved rounds of {args.ops} calls"
        f" (keys(): {max(1, args.ops // 100)}); Python {sys.version.split()[0]},"
        f" runtime type checks {checks}; load before: {' '.join(before)}.\n",
        flush=True,
    )
    for name in names:
        server, make_sides, raw_name = STORES[name]
        with server() as port:
            sides = make_sides(port)
            samples = asyncio.run(measure(sides, args.ops, args.rounds))
        print("\n".join(table(f"{name}://", raw_name, sides, samples)) + "\n", flush=True)
    with open("/proc/loadavg") as load:
        after = load.read().split()[:3]
    print(f"Load after: {' '.join(after)}. Reproduce: `{command}`")


if __name__ == "__main__":
    main()
