"""Load: many concurrent tasks on ONE store object, kv beside the raw client and py-key-value.

Run: ``uv run python benchmarks/bench_load.py`` (10 s per side; ``--seconds 3``
for a short run, ``--stores redis,memcached`` to pick stores).

For each server store (``redis://``, ``redis+cluster://``, ``valkey://``,
``memcached://``, ``postgresql://``) it starts the real server(s) on random
ports of 127.0.0.1 (the 3-master cluster too), then drives, one after the
other, each in a new event loop:

* **raw**: the raw asyncio client of the library the store uses (redis-py,
  valkey-py, aiomcache, asyncpg), doing the same work: py-key-value's JSON
  document (built with ``json.dumps``, read with ``json.loads``), ``PX``/exptime
  for TTLs, ``MGET``/``multi_get``/``ANY($2)`` for ``get_many``, a pipeline /
  sequential sets / one ``unnest`` upsert for ``put_many``;
* **kv**: one store from ``kv.connect(url)``;
* **py-key-value**: py-key-value-aio's store for the same server, where it
  has one (its RedisStore takes no cluster client; its ValkeyStore needs
  valkey-glide, which is not installed here: those rows say why).

Each side gets ``--tasks`` (200) tasks sharing the one store object (one raw
client, one pool). Every task draws operations from its own seeded RNG
(``--seed``): 50 % ``get``, 25 % ``put`` (half with a 60 s TTL), 10 %
``get_many`` and 10 % ``put_many`` (10 keys each, half of the put_many with
TTL), 5 % ``delete``, on keys drawn from a bounded key space (``--keys``
1000 keys, filled before the clock starts). Tasks stop starting operations
when ``--seconds`` have passed or ``--max-ops`` operations were started,
whichever comes first.

Reported per side: operations that succeeded per second, p50 and p99 latency
of the successful operations, the number of failed operations and the first
failure's type and message (errors are counted, never hidden or retried), and
how many tasks were still stuck in an operation ``--grace`` seconds after the
deadline (they are then cancelled: a deadlock shows up as stuck tasks, not as
a hung benchmark). The process exits with status 1 when any kv row had errors
or stuck tasks.

Traffic goes only to the servers this script started on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import random
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import kv
from kv._typecheck import typecheck_enabled
from kv_conformance.servers import ServerProcess
from kv_resp import build_client

COLLECTION = "load"
BATCH = 10
TTL = 60.0
VALUE: dict[str, Any] = {"name": "Alice", "age": 30, "tags": ["a", "b"], "active": True}
# (operation, cumulative weight in percent)
MIX = (("get", 50), ("put", 75), ("get_many", 85), ("put_many", 95), ("delete", 100))
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


# --------------------------------------------------------------------------- sides


class Side:
    """One way of doing the operations: kv, py-key-value or the raw client."""

    async def get(self, key: str) -> Any:
        raise NotImplementedError

    async def put(self, key: str, value: dict[str, Any], ttl: float | None) -> None:
        raise NotImplementedError

    async def get_many(self, keys: list[str]) -> Any:
        raise NotImplementedError

    async def put_many(
        self, keys: list[str], values: list[dict[str, Any]], ttl: float | None
    ) -> None:
        raise NotImplementedError

    async def delete(self, key: str) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class ProtocolSide(Side):
    """A kv or py-key-value store: the same ``AsyncKeyValue`` calls."""

    def __init__(self, store: Any) -> None:
        self.store = store

    async def get(self, key: str) -> Any:
        return await self.store.get(key, collection=COLLECTION)

    async def put(self, key: str, value: dict[str, Any], ttl: float | None) -> None:
        await self.store.put(key, value, collection=COLLECTION, ttl=ttl)

    async def get_many(self, keys: list[str]) -> Any:
        return await self.store.get_many(keys, collection=COLLECTION)

    async def put_many(
        self, keys: list[str], values: list[dict[str, Any]], ttl: float | None
    ) -> None:
        await self.store.put_many(keys, values, collection=COLLECTION, ttl=ttl)

    async def delete(self, key: str) -> Any:
        return await self.store.delete(key, collection=COLLECTION)

    async def close(self) -> None:
        await self.store.close()


def document(key: str, value: dict[str, Any], ttl: float | None) -> str:
    """py-key-value's document, as a raw client writing that layout must build it."""
    now = datetime.now(tz=timezone.utc)
    fields: dict[str, Any] = {
        "collection": COLLECTION,
        "created_at": now.isoformat(),
        "key": key,
        "value": value,
        "version": 1,
    }
    if ttl is not None:
        expires = datetime.fromtimestamp(now.timestamp() + ttl, tz=timezone.utc)
        fields["expires_at"] = expires.isoformat()
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


class RespRawSide(Side):
    """redis-py or valkey-py (standalone or cluster), built with the kv store's settings."""

    def __init__(self, url: str) -> None:
        settings: Any = kv.connect(url)
        self.client = build_client(settings.driver, settings.target, settings.options)
        self.cluster = settings.target.kind == "cluster"

    @staticmethod
    def name(key: str) -> str:
        return f"{COLLECTION}::{key}"

    async def get(self, key: str) -> Any:
        raw = await self.client.get(self.name(key))
        return None if raw is None else json.loads(raw)["value"]

    async def put(self, key: str, value: dict[str, Any], ttl: float | None) -> None:
        px = None if ttl is None else int(ttl * 1000)
        await self.client.set(self.name(key), document(key, value, ttl), px=px)

    async def get_many(self, keys: list[str]) -> Any:
        names = [self.name(key) for key in keys]
        if self.cluster:
            found = await self.client.mget_nonatomic(names)
        else:
            found = await self.client.mget(names)
        return [None if raw is None else json.loads(raw)["value"] for raw in found]

    async def put_many(
        self, keys: list[str], values: list[dict[str, Any]], ttl: float | None
    ) -> None:
        px = None if ttl is None else int(ttl * 1000)
        pipe = self.client.pipeline(transaction=False)
        for key, value in zip(keys, values):
            pipe.set(self.name(key), document(key, value, ttl), px=px)
        await pipe.execute()

    async def delete(self, key: str) -> Any:
        return await self.client.delete(self.name(key))

    async def close(self) -> None:
        await self.client.aclose()


class MemcachedRawSide(Side):
    """aiomcache with kv's default connection count (8); it has no multi-set."""

    def __init__(self, port: int) -> None:
        import aiomcache

        self.client = aiomcache.Client("127.0.0.1", port, pool_size=8)

    @staticmethod
    def name(key: str) -> bytes:
        return f"{COLLECTION}::{key}".encode()

    async def get(self, key: str) -> Any:
        raw = await self.client.get(self.name(key))
        return None if raw is None else json.loads(raw)["value"]

    async def put(self, key: str, value: dict[str, Any], ttl: float | None) -> None:
        exptime = 0 if ttl is None else int(ttl)
        await self.client.set(self.name(key), document(key, value, ttl).encode(), exptime)

    async def get_many(self, keys: list[str]) -> Any:
        found = await self.client.multi_get(*(self.name(key) for key in keys))
        return [None if raw is None else json.loads(raw)["value"] for raw in found]

    async def put_many(
        self, keys: list[str], values: list[dict[str, Any]], ttl: float | None
    ) -> None:
        for key, value in zip(keys, values):
            await self.put(key, value, ttl)

    async def delete(self, key: str) -> Any:
        return await self.client.delete(self.name(key))

    async def close(self) -> None:
        await self.client.close()


class PostgresRawSide(Side):
    """An asyncpg pool (kv's default size, 10) on a table in kv's layout."""

    def __init__(self, dsn: str, table: str) -> None:
        self.dsn = dsn
        self.table = table
        self.pool: Any = None
        upsert = (
            " ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value,"
            " ttl = EXCLUDED.ttl, created_at = EXCLUDED.created_at,"
            " expires_at = EXCLUDED.expires_at"
        )
        quoted = f'"{table}"'
        self.get_sql = (
            f"SELECT value, date_part('epoch', expires_at) FROM {quoted}"
            " WHERE collection = $1 AND key = $2"
        )
        self.get_many_sql = (
            f"SELECT key, value, date_part('epoch', expires_at) FROM {quoted}"
            " WHERE collection = $1 AND key = ANY($2::text[])"
        )
        self.put_sql = (
            f"INSERT INTO {quoted} (collection, key, value, ttl, created_at, expires_at)"
            f" VALUES ($1, $2, $3::json, $4, to_timestamp($5), to_timestamp($6)){upsert}"
        )
        self.put_many_sql = (
            f"INSERT INTO {quoted} (collection, key, value, ttl, created_at, expires_at)"
            " SELECT $1, item.key, item.value::json, $4, to_timestamp($5), to_timestamp($6)"
            f" FROM unnest($2::text[], $3::text[]) AS item(key, value){upsert}"
        )
        self.delete_sql = f"DELETE FROM {quoted} WHERE collection = $1 AND key = $2"

    async def open(self) -> None:
        import asyncpg

        # The table in kv's layout, made by a kv store once (not timed).
        maker = kv.connect(f"{self.dsn}?table={self.table}")
        await maker.put("setup", {}, collection=COLLECTION)
        await maker.close()
        self.pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=10)

    async def get(self, key: str) -> Any:
        row = await self.pool.fetchrow(self.get_sql, COLLECTION, key)
        if row is None or (row[1] is not None and row[1] <= time.time()):
            return None
        return json.loads(row[0])

    async def put(self, key: str, value: dict[str, Any], ttl: float | None) -> None:
        now = time.time()
        expires = None if ttl is None else now + ttl
        await self.pool.execute(self.put_sql, COLLECTION, key, json.dumps(value), ttl, now, expires)

    async def get_many(self, keys: list[str]) -> Any:
        rows = await self.pool.fetch(self.get_many_sql, COLLECTION, keys)
        now = time.time()
        found = {row[0]: json.loads(row[1]) for row in rows if row[2] is None or row[2] > now}
        return [found.get(key) for key in keys]

    async def put_many(
        self, keys: list[str], values: list[dict[str, Any]], ttl: float | None
    ) -> None:
        now = time.time()
        expires = None if ttl is None else now + ttl
        texts = [json.dumps(value) for value in values]
        await self.pool.execute(self.put_many_sql, COLLECTION, keys, texts, ttl, now, expires)

    async def delete(self, key: str) -> Any:
        return await self.pool.execute(self.delete_sql, COLLECTION, key)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()


# --------------------------------------------------------------------------- the load


@dataclass
class Result:
    """What one side did."""

    store: str
    side: str
    ok: int = 0
    errors: int = 0
    first_error: str = ""
    stuck: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    unavailable: str = ""

    def percentile(self, fraction: float) -> float:
        """Latency in ms at ``fraction`` (nearest rank) of the successful operations."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
        return ordered[index] * 1000


@dataclass(frozen=True)
class Settings:
    seconds: float
    tasks: int
    max_ops: int
    keys: int
    seed: int
    grace: float


def describe(error: BaseException) -> str:
    """``module.Type: message`` of an error, on one line, shortened."""
    kind = type(error)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins", "__main__"):
        name = f"{kind.__module__}.{name}"
    message = " ".join(str(error).split())
    if len(message) > 200:
        message = message[:197] + "..."
    return f"{name}: {message}" if message else name


async def drive(side: Side, settings: Settings, result: Result) -> None:
    """Run the load on ``side`` and fill in ``result``."""
    space = [f"key-{index}" for index in range(settings.keys)]

    async def fill() -> None:  # the whole key space, before the clock starts
        for start in range(0, len(space), 100):
            chunk = space[start : start + 100]
            await side.put_many(chunk, [dict(VALUE, n=i) for i in range(len(chunk))], None)

    # A store that hangs here fails the side (reported as its first error).
    try:
        await asyncio.wait_for(fill(), timeout=settings.grace)
    except asyncio.TimeoutError:
        message = f"filling the key space took more than {settings.grace:g} s (--grace)"
        raise TimeoutError(message) from None

    remaining = settings.max_ops
    latencies = result.latencies
    clock = time.perf_counter

    def record_error(error: BaseException) -> None:
        result.errors += 1
        if not result.first_error:
            result.first_error = describe(error)

    async def worker(index: int) -> None:
        nonlocal remaining
        rng = random.Random(settings.seed * 1_000_003 + index)
        while remaining > 0 and clock() < deadline:
            remaining -= 1
            roll = rng.randrange(100)
            operation = next(name for name, bound in MIX if roll < bound)
            ttl = TTL if rng.random() < 0.5 else None
            call: Awaitable[Any]
            if operation == "get":
                call = side.get(rng.choice(space))
            elif operation == "put":
                call = side.put(rng.choice(space), dict(VALUE, n=rng.randrange(1000)), ttl)
            elif operation == "get_many":
                call = side.get_many(rng.sample(space, BATCH))
            elif operation == "put_many":
                keys = rng.sample(space, BATCH)
                call = side.put_many(keys, [dict(VALUE, n=i) for i in range(BATCH)], ttl)
            else:
                call = side.delete(rng.choice(space))
            started = clock()
            try:
                await call
            except Exception as error:  # counted and reported, never hidden
                record_error(error)
            else:
                latencies.append(clock() - started)

    begin = clock()
    deadline = begin + settings.seconds
    workers = [asyncio.create_task(worker(index)) for index in range(settings.tasks)]
    done, pending = await asyncio.wait(workers, timeout=settings.seconds + settings.grace)
    result.elapsed = clock() - begin
    result.stuck = len(pending)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            assert error is not None
            record_error(error)
    # Successful operations per second are counted over the time until the last
    # task finished (or the grace period ran out).
    result.ok = len(latencies)


def run_side(
    store: str, side_name: str, make: Callable[[], Awaitable[Side]], settings: Settings
) -> Result:
    """One side in a fresh event loop (the store object is made inside it)."""
    result = Result(store, side_name)

    async def main() -> None:
        side = await make()
        try:
            await drive(side, settings, result)
        finally:
            try:
                await asyncio.wait_for(side.close(), timeout=settings.grace)
            except Exception as error:
                print(f"  ({store} {side_name}: close failed: {describe(error)})", file=sys.stderr)

    try:
        asyncio.run(main())
    except Exception as error:  # setup failed: report it as the first error
        result.errors += 1
        result.first_error = result.first_error or describe(error)
        traceback.print_exc(file=sys.stderr)
    return result


# --------------------------------------------------------------------------- servers


def load_module(name: str, path: Path) -> ModuleType:
    """A helper module by path (the RESP test servers, the other benchmark scripts)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def resp_servers() -> ModuleType:
    """plugins/resp/tests/resp_servers.py: standalone and 3-master cluster servers."""
    return load_module("kv_resp_tests_resp_servers", ROOT / "plugins/resp/tests/resp_servers.py")


@contextmanager
def standalone(binary: str, name: str) -> Iterator[int]:
    with resp_servers().standalone_server(name, binary) as server:
        yield server.port


@contextmanager
def cluster(binary: str, name: str, sync_client: Callable[[int], Any]) -> Iterator[str]:
    nodes = resp_servers().Cluster(name, binary, sync_client)
    nodes.start()
    try:
        yield ",".join(f"127.0.0.1:{port}" for port in nodes.ports)
    finally:
        nodes.cleanup()


@contextmanager
def memcached_server() -> Iterator[int]:
    from bench_memcached import memcached

    with ServerProcess("memcached-load", memcached, stop_signal=signal.SIGKILL) as server:
        yield server.port


@contextmanager
def postgres_server() -> Iterator[int]:
    from bench_postgresql import PG_BIN, as_postgres_user, postgres, ready

    server = ServerProcess(
        "postgres-load", postgres, ready=ready, stop_signal=signal.SIGINT, user="postgres"
    )
    initdb = [str(PG_BIN / "initdb"), "-D", str(server.directory / "data"), "-U", "postgres"]
    initdb += ["-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]
    try:
        subprocess.run(initdb, check=True, capture_output=True, **as_postgres_user())
        server.start()
        yield server.port
    finally:
        server.cleanup()


# --------------------------------------------------------------------------- stores


SideMaker = Callable[[], Awaitable[Side]]


def kv_side(url: str) -> SideMaker:
    async def make() -> Side:
        return ProtocolSide(kv.connect(url))

    return make


def resp_raw_side(url: str) -> SideMaker:
    async def make() -> Side:
        return RespRawSide(url)

    return make


@dataclass
class StoreRun:
    """A store's server and its three sides (a side is a reason string when unavailable)."""

    name: str
    raw_name: str
    server: Callable[[], AbstractContextManager[Any]]
    sides: Callable[[Any], list[tuple[str, SideMaker | str]]]


def redis_run() -> StoreRun:
    import redis

    binary = resp_servers().redis_binary()

    def sides(port: int) -> list[tuple[str, SideMaker | str]]:
        url = f"redis://127.0.0.1:{port}/0"

        async def pykv() -> Side:
            from key_value.aio.stores.redis import RedisStore

            return ProtocolSide(RedisStore(url=url))

        return [("raw", resp_raw_side(url)), ("kv", kv_side(url)), ("py-key-value", pykv)]

    return StoreRun(
        "redis://", f"redis-py {redis.__version__}", lambda: standalone(binary, "redis-load"), sides
    )


def redis_cluster_run() -> StoreRun:
    import redis

    binary = resp_servers().redis_binary()

    def sides(hosts: str) -> list[tuple[str, SideMaker | str]]:
        url = f"redis+cluster://{hosts}/"
        no_cluster = "n/a: py-key-value's RedisStore takes a redis.asyncio.Redis, no cluster client"
        return [("raw", resp_raw_side(url)), ("kv", kv_side(url)), ("py-key-value", no_cluster)]

    return StoreRun(
        "redis+cluster:// (3 masters)",
        f"redis-py {redis.__version__} RedisCluster",
        lambda: cluster(binary, "redis-load-cluster", lambda port: redis.Redis(port=port)),
        sides,
    )


def valkey_run() -> StoreRun:
    import valkey

    binary = resp_servers().valkey_binary()

    def sides(port: int) -> list[tuple[str, SideMaker | str]]:
        url = f"valkey://127.0.0.1:{port}/0"
        pykv: SideMaker | str
        if importlib.util.find_spec("glide") is None:
            pykv = "n/a: py-key-value's ValkeyStore needs valkey-glide (not installed)"
        else:

            async def make_pykv() -> Side:
                from key_value.aio.stores.valkey import ValkeyStore

                return ProtocolSide(ValkeyStore(host="127.0.0.1", port=port))

            pykv = make_pykv
        return [("raw", resp_raw_side(url)), ("kv", kv_side(url)), ("py-key-value", pykv)]

    return StoreRun(
        "valkey:// (valkey-server 9)",
        f"valkey-py {valkey.__version__}",
        lambda: standalone(binary, "valkey-load"),
        sides,
    )


def memcached_run() -> StoreRun:
    def sides(port: int) -> list[tuple[str, SideMaker | str]]:
        async def raw() -> Side:
            return MemcachedRawSide(port)

        async def pykv() -> Side:
            from key_value.aio.stores.memcached import MemcachedStore

            return ProtocolSide(MemcachedStore(host="127.0.0.1", port=port))

        url = f"memcached://127.0.0.1:{port}"
        return [("raw", raw), ("kv", kv_side(url)), ("py-key-value", pykv)]

    return StoreRun("memcached://", "aiomcache", memcached_server, sides)


def postgres_run() -> StoreRun:
    def sides(port: int) -> list[tuple[str, SideMaker | str]]:
        dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"

        async def raw() -> Side:
            side = PostgresRawSide(dsn, "load_raw")
            await side.open()
            return side

        async def pykv() -> Side:
            from key_value.aio.stores.postgresql import PostgreSQLStore

            return ProtocolSide(PostgreSQLStore(url=dsn, table_name="load_pykv"))

        return [("raw", raw), ("kv", kv_side(f"{dsn}?table=load_kv")), ("py-key-value", pykv)]

    return StoreRun("postgresql:// (PostgreSQL 15)", "asyncpg", postgres_server, sides)


STORES: dict[str, Callable[[], StoreRun]] = {
    "redis": redis_run,
    "redis-cluster": redis_cluster_run,
    "valkey": valkey_run,
    "memcached": memcached_run,
    "postgresql": postgres_run,
}


# --------------------------------------------------------------------------- report


def run_store(name: str, settings: Settings) -> tuple[StoreRun | None, list[Result]]:
    """Start ``name``'s server, drive its sides, stop it."""
    try:
        spec = STORES[name]()
    except Exception as error:
        return None, [Result(name, "all", errors=1, first_error=describe(error))]
    results: list[Result] = []
    try:
        with spec.server() as address:
            for side_name, make in spec.sides(address):
                if isinstance(make, str):
                    results.append(Result(spec.name, side_name, unavailable=make))
                    continue
                print(f"  {spec.name}: {side_name} ...", file=sys.stderr, flush=True)
                results.append(run_side(spec.name, side_name, make, settings))
    except Exception as error:  # the server would not start
        results.append(Result(spec.name, "server", errors=1, first_error=describe(error)))
    return spec, results


def table(rows: Sequence[tuple[StoreRun | None, list[Result]]]) -> list[str]:
    lines = [
        "| store | side | ok ops/s | p50 (ms) | p99 (ms) | errors | stuck tasks | first error |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for spec, results in rows:
        for result in results:
            label = result.side
            if result.side == "raw" and spec is not None:
                label = f"raw {spec.raw_name}"
            if result.unavailable:
                lines.append(f"| {result.store} | {label} | | | | | | {result.unavailable} |")
                continue
            rate = result.ok / result.elapsed if result.elapsed else 0.0
            error = result.first_error.replace("|", "\\|")
            lines.append(
                f"| {result.store} | {label} | {rate:,.0f} | {result.percentile(0.5):.2f}"
                f" | {result.percentile(0.99):.2f} | {result.errors:,} | {result.stuck}"
                f" | {error} |"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load time per side")
    parser.add_argument("--tasks", type=int, default=200, help="concurrent tasks per side")
    parser.add_argument(
        "--max-ops", type=int, default=1_000_000, help="stop after starting this many operations"
    )
    parser.add_argument("--keys", type=int, default=1000, help="size of the key space")
    parser.add_argument("--seed", type=int, default=8, help="seed of the tasks' RNGs")
    parser.add_argument(
        "--grace",
        type=float,
        default=30.0,
        help="seconds after the deadline before unfinished tasks count as stuck",
    )
    parser.add_argument(
        "--stores",
        default=",".join(STORES),
        help=f"comma-separated, from {', '.join(STORES)} (default: all)",
    )
    args = parser.parse_args()
    names = [name.strip() for name in args.stores.split(",") if name.strip()]
    unknown = [name for name in names if name not in STORES]
    if unknown:
        parser.error(f"unknown store(s): {', '.join(unknown)}")
    if args.keys < BATCH:
        parser.error(f"--keys must be at least {BATCH}")
    settings = Settings(args.seconds, args.tasks, args.max_ops, args.keys, args.seed, args.grace)

    rows = [run_store(name, settings) for name in names]

    checks = "on" if typecheck_enabled() else "off (KV_TYPECHECK=0)"
    command = " ".join(["uv run python benchmarks/bench_load.py", *sys.argv[1:]])
    print(
        f"Load: {settings.tasks} concurrent tasks on one store object for {settings.seconds:g} s"
        f" (at most {settings.max_ops:,} operations), 50 % get, 25 % put, 10 % get_many,"
        f" 10 % put_many ({BATCH} keys), 5 % delete, half of the writes with a TTL,"
        f" {settings.keys:,} keys, seed {settings.seed}; Python {sys.version.split()[0]},"
        f" runtime type checks {checks}; servers on 127.0.0.1.\n"
    )
    print("\n".join(table(rows)))
    print(f"\nReproduce: `{command}`")
    failed = any(
        result.side == "kv" and (result.errors or result.stuck)
        for _, results in rows
        for result in results
    ) or any(
        result.side == "server" or result.side == "all" for _, results in rows for result in results
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
