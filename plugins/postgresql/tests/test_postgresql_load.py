"""One store object under real load: many event loops, many calls, crossed bulk writes.

* One store object used from one ``asyncio.run()`` after another (a sync web
  handler, a CLI, a task queue): every call works, and the connections of
  finished loops are closed, not leaked (file descriptors here, backends on
  the server).
* A thousand calls in flight on one store: all answered; a full pool (or a
  server that refuses more clients) makes callers wait, up to the store's
  timeout, never refuses them.
* ``put_many`` calls that write the same keys in different orders do not
  deadlock each other.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import pytest

import kv
from kv_conformance.servers import ServerProcess
from kv_postgresql.store import PostgreSQLStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # asyncpg is an asyncio library


@pytest.fixture
def table(postgres_server: ServerProcess, pg: Any) -> Iterator[str]:
    name = str(pg.unique_table())
    yield name

    async def drop() -> None:
        connection = await asyncpg.connect(pg.dsn(postgres_server))
        try:
            await connection.execute(f'DROP TABLE IF EXISTS "{name}"')
        finally:
            await connection.close()

    asyncio.run(drop())


@pytest.fixture
def url(postgres_server: ServerProcess, pg: Any, table: str) -> str:
    return f"{pg.dsn(postgres_server)}?table={table}"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def server_backends(dsn: str) -> int:
    """Client connections the server has open, besides the one asking."""
    connection = await asyncpg.connect(dsn)
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    return int(count)


class Unraisable:
    """Collects what the interpreter reports as 'Exception ignored in ...'."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, report: Any) -> None:
        self.seen.append(f"{report.exc_type.__name__}: {report.exc_value} in {report.object!r}")


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> Unraisable:
    hook = Unraisable()
    monkeypatch.setattr(sys, "unraisablehook", hook)
    return hook


# --- one store, many event loops ------------------------------------------------------------


def test_one_store_object_serves_ten_asyncio_runs(url: str, unraisable: Unraisable) -> None:
    store = kv.connect(url)
    assert isinstance(store, PostgreSQLStore)

    async def handler(request: int) -> None:
        await store.put("k", {"request": request}, collection="runs")
        assert await store.get("k", collection="runs") == {"request": request}
        await store.put_many([f"m{request}", "shared"], [{"i": request}, {"i": request}])
        assert await store.get_many([f"m{request}", "shared"]) == [{"i": request}] * 2
        assert await store.ttl("k", collection="runs") == ({"request": request}, None)
        assert f"m{request}" in await store.keys()
        assert "runs" in await store.collections()
        assert await store.delete(f"m{request}") is True

    for request in range(10):
        asyncio.run(handler(request))
    asyncio.run(store.close())
    gc.collect()
    assert unraisable.seen == []


def test_connections_of_finished_loops_are_closed(
    url: str, postgres_server: ServerProcess, pg: Any, unraisable: Unraisable
) -> None:
    """asyncio.run() shuts the loop's pool down: nothing stays open after 20 runs."""
    dsn = pg.dsn(postgres_server)
    store = kv.connect(f"{url}&min_size=2")

    async def handler(request: int) -> None:
        # Several calls at once, so the loop's pool opens more than one connection.
        await asyncio.gather(*(store.put(f"k{n}", {"r": request}) for n in range(4)))
        assert await store.get("k0") == {"r": request}

    asyncio.run(handler(-1))  # the table exists from here on
    backends_before = asyncio.run(server_backends(dsn))
    fds_before = open_fds()
    for request in range(20):
        asyncio.run(handler(request))
    assert open_fds() - fds_before <= 2
    assert asyncio.run(server_backends(dsn)) - backends_before <= 2
    asyncio.run(store.close())
    assert unraisable.seen == []


def run_in_a_loop_closed_without_shutdown(work: Callable[[], Any]) -> None:
    """Run ``work()`` in a new loop, then close the loop as a careless caller would."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(work())
    finally:
        loop.close()  # no shutdown_asyncgens(): the store's pool is not told


# Their sockets are closed by the garbage collector, which warns about each ("unclosed").
@pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning")
def test_loops_closed_without_shutdown_leak_a_bounded_number(
    url: str, postgres_server: ServerProcess, pg: Any, unraisable: Unraisable
) -> None:
    dsn = pg.dsn(postgres_server)
    store = kv.connect(url)

    async def handler() -> None:
        await store.put("k", {"v": 1})
        assert await store.get("k") == {"v": 1}

    asyncio.run(handler())
    gc.collect()
    backends_before = asyncio.run(server_backends(dsn))
    fds_before = open_fds()
    growth = []
    for _ in range(40):
        run_in_a_loop_closed_without_shutdown(handler)
        growth.append(open_fds() - fds_before)
    # Each such loop leaves one connection that only the garbage collector can close;
    # the store runs it every 16 of them, so the count never grows past that.
    assert max(growth) <= 16 + 4, growth
    assert growth[-1] <= 16 + 4, growth
    assert asyncio.run(server_backends(dsn)) - backends_before <= 16 + 4
    asyncio.run(store.close())
    gc.collect()
    assert unraisable.seen == []


def test_a_store_closed_in_one_loop_reopens_in_the_next(url: str) -> None:
    store = kv.connect(url)

    async def write_then_close(value: int) -> None:
        await store.put("k", {"v": value})
        await store.close()

    async def read() -> Any:
        return await store.get("k")

    for value in range(3):
        asyncio.run(write_then_close(value))
        assert asyncio.run(read()) == {"v": value}
    asyncio.run(store.close())


# --- many calls in flight -------------------------------------------------------------------


async def test_a_thousand_concurrent_calls_are_all_answered(url: str) -> None:
    store = kv.connect(f"{url}&max_size=5")
    assert isinstance(store, PostgreSQLStore)
    try:
        await asyncio.gather(*(store.put(f"k{i}", {"i": i}) for i in range(1000)))
        got = await asyncio.gather(*(store.get(f"k{i}") for i in range(1000)))
        assert got == [{"i": i} for i in range(1000)]
        mixed = await asyncio.gather(
            *(
                store.get_many([f"k{i}", f"k{i + 1}"]) if i % 2 else store.delete(f"k{i}")
                for i in range(998)
            )
        )
        assert all(result is True or isinstance(result, list) for result in mixed)
        pool = store._pools.current
        assert pool is not None
        assert pool.size <= 5
    finally:
        await store.close()


@pytest.fixture
def limited_role(postgres_server: ServerProcess, pg: Any) -> Iterator[str]:
    """A role the server lets open at most 3 connections (then: too many clients)."""
    role = f"kv_limited_{uuid.uuid4().hex[:8]}"
    dsn = pg.dsn(postgres_server)

    async def run(*statements: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(
        run(
            f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 3",
            f"CREATE SCHEMA {role} AUTHORIZATION {role}",
        )
    )
    yield role
    asyncio.run(run(f"DROP SCHEMA {role} CASCADE", f"DROP ROLE {role}"))


async def test_a_server_that_refuses_more_clients_makes_callers_wait(
    postgres_server: ServerProcess, limited_role: str
) -> None:
    server = postgres_server
    store = kv.connect(
        f"postgresql://{limited_role}@{server.host}:{server.port}/postgres"
        f"?schema={limited_role}&max_size=10"
    )
    assert isinstance(store, PostgreSQLStore)
    try:
        await store.setup()
        await asyncio.gather(*(store.put(f"k{i}", {"i": i}) for i in range(1000)))
        got = await asyncio.gather(*(store.get(f"k{i}") for i in range(1000)))
        assert got == [{"i": i} for i in range(1000)]
        pool = store._pools.current
        assert pool is not None
        assert pool.size <= 3
    finally:
        await store.close()


async def test_waiting_for_a_connection_is_bounded_by_the_store_timeout(url: str) -> None:
    store = kv.connect(f"{url}&max_size=1&command_timeout=2")
    assert isinstance(store, PostgreSQLStore)
    await store.put("k", {"v": 1})
    pool = store._pools.current
    assert pool is not None
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold(connection: asyncpg.Connection) -> None:
        holding.set()
        await release.wait()

    holder = asyncio.create_task(pool.with_connection(hold))  # the only connection
    try:
        await holding.wait()
        started = time.monotonic()
        with pytest.raises(kv.StoreTimeoutError, match="busy") as caught:
            await store.get("k")
        assert time.monotonic() - started < 30
        assert caught.value.key == "k"
        # Callers in line are served in turn once the connection comes back.
        waiting = [asyncio.create_task(store.get("k")) for _ in range(5)]
        cancelled = waiting[:2]
        await asyncio.sleep(0)
        for task in cancelled:
            task.cancel()
        release.set()
        await holder
        results = await asyncio.gather(*waiting, return_exceptions=True)
        assert all(isinstance(result, asyncio.CancelledError) for result in results[:2])
        assert results[2:] == [{"v": 1}] * 3
        assert pool.size <= 1
        assert await store.get("k") == {"v": 1}
    finally:
        release.set()
        await holder
        await store.close()


async def test_each_caller_in_line_waits_its_full_timeout(url: str) -> None:
    """Callers arriving one after another each get their whole timeout, never less."""
    timeout = 1.0
    store = kv.connect(f"{url}&max_size=1&command_timeout={timeout}")
    assert isinstance(store, PostgreSQLStore)
    await store.put("k", {"v": 1})
    pool = store._pools.current
    assert pool is not None
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold(connection: asyncpg.Connection) -> None:
        holding.set()
        await release.wait()

    async def waited() -> float:
        started = time.monotonic()
        with pytest.raises(kv.StoreTimeoutError, match="busy"):
            await store.get("k")
        return time.monotonic() - started

    holder = asyncio.create_task(pool.with_connection(hold))
    try:
        await holding.wait()
        callers = []
        for _ in range(4):
            callers.append(asyncio.create_task(waited()))
            await asyncio.sleep(timeout / 4)  # arrivals spread over the first timeout
        waits = await asyncio.gather(*callers)
        assert all(timeout * 0.95 <= wait < timeout + 30 for wait in waits), waits
        release.set()
        await holder
        assert await store.get("k") == {"v": 1}
    finally:
        release.set()
        await holder
        await store.close()


# --- crossed bulk writes ---------------------------------------------------------------------


async def test_put_many_in_crossed_orders_does_not_deadlock(url: str) -> None:
    store = kv.connect(f"{url}&max_size=10")
    keys = [f"k{i:02d}" for i in range(40)]
    rng = random.Random(8)
    orders = [keys, list(reversed(keys))] + [rng.sample(keys, len(keys)) for _ in range(6)]
    try:
        await store.put_many(keys, [{}] * len(keys))

        async def write(call: int) -> None:
            order = orders[call % len(orders)]
            # A duplicate at the end of the call still wins over its first occurrence.
            await store.put_many(
                [*order, order[0]],
                [*({"call": call, "k": key} for key in order), {"call": call, "last": True}],
            )

        results = await asyncio.gather(
            *(write(call) for call in range(160)), return_exceptions=True
        )
        failures = [result for result in results if isinstance(result, BaseException)]
        assert failures == []
        values = await store.get_many(keys)
        assert all(value is not None and "call" in value for value in values)
        await store.put_many(["a", "b", "a"], [{"n": 1}, {"n": 2}, {"n": 3}])
        assert await store.get_many(["a", "b"]) == [{"n": 3}, {"n": 2}]
    finally:
        await store.close()


async def test_a_statement_rolled_back_by_a_deadlock_is_sent_again(
    url: str, raw_pg: asyncpg.Connection, table: str
) -> None:
    """Another transaction and a put_many lock two rows in opposite orders.

    The store's statement waits first, so its backend finds the deadlock and
    is rolled back; the store sends it again, and it succeeds once the other
    transaction commits.
    """
    store = kv.connect(url)
    try:
        await store.put_many(["a", "b"], [{"v": 0}, {"v": 0}])
        # The other side checks for deadlocks late, so the store's side is the one rolled back.
        await raw_pg.execute("SET deadlock_timeout = '5s'")
        update = f'UPDATE "{table}" SET ttl = NULL WHERE key = $1'
        for attempt in range(3):
            value = {"v": attempt + 1}
            async with raw_pg.transaction():
                await raw_pg.execute(update, "b")
                writer = asyncio.create_task(store.put_many(["b", "a"], [value, value]))
                deadline = time.monotonic() + 60
                while not await raw_pg.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND pid <> pg_backend_pid()"
                ):  # the store holds a and waits for b
                    assert time.monotonic() < deadline
                    assert not writer.done(), writer
                    await asyncio.sleep(0.01)
                try:
                    await raw_pg.execute(update, "a")  # a deadlock: the store's side gives way
                except asyncpg.DeadlockDetectedError:
                    await writer  # this side was rolled back instead (a very slow machine)
                    continue
            await writer
            assert await store.get_many(["a", "b"]) == [value, value]
            return
        pytest.fail("the store's side was never the one rolled back")
    finally:
        await store.close()
