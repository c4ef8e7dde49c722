"""Reliability under real load, on real memcached servers (issue 8).

* 1,000 calls in flight on one store object are all answered, on one server
  and on two (each call waits for one of the pool's connections);
* one store object serves successive ``asyncio.run()`` calls (connections
  belong to the loop that opened them), without leaking file descriptors.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
from typing import Any

import anyio
import pytest

import kv
from kv_conformance.servers import ServerProcess
from kv_memcached.store import MemcachedStore

pytestmark = [pytest.mark.kv_server]


@pytest.fixture
def anyio_backend() -> str:
    """These tests drive the store with asyncio itself (trio: test_memcached_protocol.py)."""
    return "asyncio"


def _descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_capabilities_do_not_say_asyncio_only() -> None:
    """The store speaks the protocol itself over anyio: it runs under trio too."""
    assert not MemcachedStore.capabilities.asyncio_only
    assert not MemcachedStore(max_item_size=2 * 1024 * 1024).capabilities.asyncio_only


async def _in_flight(store: MemcachedStore, count: int = 1000) -> None:
    keys = [f"flight-{i}" for i in range(count)]
    puts = await asyncio.gather(
        *(store.put(key, {"i": i}, collection="flight") for i, key in enumerate(keys)),
        return_exceptions=True,
    )
    failed = [result for result in puts if isinstance(result, BaseException)]
    assert not failed, f"{len(failed)} of {count} puts failed, first: {failed[0]!r}"
    gets = await asyncio.gather(
        *(store.get(key, collection="flight") for key in keys), return_exceptions=True
    )
    failed = [result for result in gets if isinstance(result, BaseException)]
    assert not failed, f"{len(failed)} of {count} gets failed, first: {failed[0]!r}"
    assert gets == [{"i": i} for i in range(count)]
    mixed = await asyncio.gather(
        *(
            store.get_many(keys[i : i + 3], collection="flight")
            if i % 2
            else store.put(key, {"again": i}, collection="flight")
            for i, key in enumerate(keys)
        ),
        return_exceptions=True,
    )
    failed = [result for result in mixed if isinstance(result, BaseException)]
    assert not failed, f"{len(failed)} of {count} mixed calls failed, first: {failed[0]!r}"


@pytest.mark.anyio
async def test_a_thousand_calls_in_flight(memcached_server: ServerProcess, mc: Any) -> None:
    store = kv.connect(mc.url_of(memcached_server))
    assert isinstance(store, MemcachedStore)
    try:
        await _in_flight(store)
    finally:
        await store.close()


@pytest.mark.anyio
async def test_a_thousand_calls_in_flight_two_servers(
    memcached_pair: tuple[ServerProcess, ServerProcess], mc: Any
) -> None:
    store = kv.connect(f"{mc.url_of(*memcached_pair)}?max_connections=2")
    assert isinstance(store, MemcachedStore)
    try:
        await _in_flight(store)
    finally:
        await store.close()


def test_successive_event_loops(
    memcached_pair: tuple[ServerProcess, ServerProcess], mc: Any
) -> None:
    store = kv.connect(mc.url_of(*memcached_pair))
    assert isinstance(store, MemcachedStore)

    async def handler(round_number: int) -> None:
        key = f"round-{round_number}"
        await store.put(key, {"round": round_number}, collection="loops", ttl=600)
        assert await store.get(key, collection="loops") == {"round": round_number}
        await store.put_many([f"{key}-a", f"{key}-b"], [{"n": 1}, {"n": 2}], collection="loops")
        assert await store.get_many([f"{key}-a", f"{key}-b"], collection="loops") == [
            {"n": 1},
            {"n": 2},
        ]
        assert await store.delete(f"{key}-b", collection="loops") is True

    for round_number in range(10):
        asyncio.run(handler(round_number))

    async def last() -> None:
        got = await store.get_many([f"round-{i}" for i in range(10)], collection="loops")
        assert got == [{"round": i} for i in range(10)]
        await store.close()

    asyncio.run(last())


def test_descriptors_across_event_loops(
    memcached_pair: tuple[ServerProcess, ServerProcess], mc: Any
) -> None:
    store = kv.connect(mc.url_of(*memcached_pair))
    assert isinstance(store, MemcachedStore)

    async def handler() -> None:
        await asyncio.gather(*(store.put(f"fd{i}", {"i": i}, collection="fds") for i in range(20)))
        assert await store.get("fd3", collection="fds") == {"i": 3}

    def bare_loop() -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(handler())
        finally:
            loop.close()

    for _ in range(3):
        asyncio.run(handler())
    gc.collect()
    before = _descriptors()
    for _ in range(20):
        asyncio.run(handler())
    gc.collect()
    after_runs = _descriptors()
    for _ in range(20):
        bare_loop()
    asyncio.run(handler())  # the next loop's first call lets the dead loops go
    gc.collect()
    after_bare = _descriptors()
    asyncio.run(store.close())
    assert after_runs - before <= 4, f"{after_runs - before} more descriptors after 20 runs"
    assert after_bare - before <= 8, f"{after_bare - before} more after 20 bare loops"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_callers_are_served_in_arrival_order(
    memcached_server: ServerProcess, mc: Any
) -> None:
    """Waiting callers take connections first come, first served.

    Forty callers each make fifty calls back to back through two connections
    (two call slots). Served in arrival order, a call is overtaken by about
    the calls already waiting when it arrived (under forty; the order in
    which finished tasks resume adds a few). One call is made before the
    callers start, so the store's one-time setup and this loop's servers are
    ready: otherwise the callers' first calls pass those steps one loop turn
    at a time, and on a loaded machine one was overtaken 85 times. The
    bounds leave room for a busy machine: the 99th percentile of overtakes
    is at most twice the callers, the maximum ten times. A pool that is not
    first come, first served fails both: with the slots replaced by a plain
    counter (a released slot goes back to the count, and a waiter looks
    again on its next loop turn, after the caller that released it has
    already taken it back) some calls were overtaken about 1,900 times, as
    with aiomcache's pool before the slots, where under load such calls ran
    into the store's timeout. A very high slot count shows nothing: the
    slots are also the connection limit, so every caller gets a connection
    of its own and nobody waits. Counted in calls, not seconds: it holds on
    a busy machine.
    """
    store = kv.connect(f"{mc.url_of(memcached_server)}?max_connections=2")
    assert isinstance(store, MemcachedStore)
    callers, calls = 40, 50
    finished = 0
    overtaken: list[int] = []

    async def caller(number: int) -> None:
        nonlocal finished
        for call in range(calls):
            before = finished
            await store.put(f"fair-{number}", {"call": call}, collection="fair")
            overtaken.append(finished - before)
            finished += 1

    try:
        # The store's setup and this loop's servers, before the callers line up.
        await store.put("fair-warm-up", {"call": 0}, collection="fair")
        async with anyio.create_task_group() as group:
            for number in range(callers):
                group.start_soon(caller, number)
    finally:
        await store.close()
    assert len(overtaken) == callers * calls
    percentile_99 = statistics.quantiles(overtaken, n=100, method="inclusive")[98]
    assert percentile_99 <= 2 * callers, f"99th percentile of overtakes: {percentile_99:g}"
    assert max(overtaken) <= 10 * callers, f"a call was overtaken {max(overtaken)} times"
