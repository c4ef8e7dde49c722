"""Checks shared by the kv-redis and kv-valkey tests, run against real servers.

Each takes the store under test and a raw asyncio client of the same library
on the same server, so the server itself is the witness: ``INFO
commandstats`` counts the commands a call sent, ``INFO stats``'s
``total_reads_processed`` counts the reads the server had to do (one per
round trip for a small request), ``TYPE``/``GET`` show what is stored.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

import kv
from kv_conformance.servers import ServerProcess
from kv_resp import RespStore


async def command_calls(raw: Any) -> dict[str, int]:
    """``{command: calls}`` from ``INFO commandstats``."""
    stats = await raw.info("commandstats")
    calls: dict[str, int] = {}
    for name, fields in stats.items():
        command = name.removeprefix("cmdstat_")
        calls[command] = int(fields["calls"]) if isinstance(fields, dict) else 0
    return calls


async def reads_processed(raw: Any) -> int:
    """``total_reads_processed`` from ``INFO stats``."""
    return int((await raw.info("stats"))["total_reads_processed"])


async def measure(raw: Any, call: Callable[[], Awaitable[object]]) -> tuple[dict[str, int], int]:
    """Commands sent and server reads done by ``call`` (the INFO calls subtracted).

    Nothing else may use the server meanwhile (tests in one session run one
    at a time; every xdist worker has its own servers).
    """
    # Baseline: the server reads of the INFO calls themselves (one each).
    reads0 = await reads_processed(raw)
    calls1, reads1 = await command_calls(raw), await reads_processed(raw)
    await call()
    calls2, reads2 = await command_calls(raw), await reads_processed(raw)
    info_reads = reads1 - reads0
    delta = {name: calls2.get(name, 0) - calls1.get(name, 0) for name in calls2}
    return {n: c for n, c in delta.items() if c and n != "info"}, reads2 - reads1 - info_reads


async def check_bulk_calls_are_single_round_trips(store: RespStore, raw: Any) -> None:
    """get_many = one MGET, put_many = one round trip (with and without TTL), delete_many = one DEL."""
    keys = [f"k{i}" for i in range(20)]
    values = [{"i": i, "name": "x" * 20} for i in range(20)]
    assert await store.get("warm-up", collection="bulk") is None  # connect first

    commands, reads = await measure(raw, lambda: store.put_many(keys, values, collection="bulk"))
    assert commands == {"mset": 1}, commands
    assert reads == 1, reads

    async def put_with_ttl() -> None:
        await store.put_many(keys, values, collection="bulk", ttl=60)

    commands, reads = await measure(raw, put_with_ttl)
    assert commands == {"set": 20}, commands
    assert reads == 1, f"put_many with a TTL took {reads} server reads (round trips)"

    commands, reads = await measure(raw, lambda: store.get_many(keys, collection="bulk"))
    assert commands == {"mget": 1}, commands
    assert reads == 1, reads

    async def delete_many() -> None:
        assert await store.delete_many([*keys, "missing"], collection="bulk") == 20

    commands, reads = await measure(raw, delete_many)
    assert commands == {"del": 1}, commands
    assert reads == 1, reads

    # The witness works: twenty single puts are twenty round trips.
    async def singles() -> None:
        for key, value in zip(keys, values):
            await store.put(key, value, collection="bulk")

    commands, reads = await measure(raw, singles)
    assert commands == {"set": 20}, commands
    assert reads == 20, reads


async def check_destroy_spares_foreign_keys(
    make_store: Callable[[str | None], RespStore], raw: Any
) -> None:
    """destroy() deletes what the store owns and nothing else; never FLUSHDB."""
    plain = make_store(None)
    mine = make_store("mine")
    other = make_store("other")
    foreign = {
        b"foreign": b"not kv",  # no '::'
        b"other-app:session:1": b"x",  # ':' but no '::'
        b"mine-but-not:x": b"x",  # starts like the namespace, other form
        b"ns:with:colons::k": b"x",  # two ':' before '::': neither form
    }
    try:
        for name, value in foreign.items():
            await raw.set(name, value)
        await raw.hset(b"hash::field", mapping={"a": "1"})  # a '::' key of another type
        await plain.put("k", {"v": "plain"}, collection="c")
        await mine.put("k", {"v": "mine"}, collection="c")
        await mine.put("k2", {"v": "mine"}, collection="a:b")
        await other.put("k", {"v": "other"}, collection="c")
        assert await raw.get(b"c::k") is not None
        assert await raw.get(b"mine:c::k") is not None
        assert await raw.get(b"mine:a%3Ab::k2") is not None

        before = await command_calls(raw)
        assert await mine.destroy() is True
        assert await mine.get("k", collection="c") is None
        assert await mine.get("k2", collection="a:b") is None
        assert await other.get("k", collection="c") == {"v": "other"}
        assert await plain.get("k", collection="c") == {"v": "plain"}
        for name, value in foreign.items():
            assert await raw.get(name) == value
        assert await raw.hgetall(b"hash::field") == {b"a": b"1"}

        # The store without a namespace owns `collection::key` strings only.
        assert sorted(await plain.collections()) == ["c"]
        assert await plain.destroy() is True
        assert await plain.get("k", collection="c") is None
        assert await other.get("k", collection="c") == {"v": "other"}
        for name, value in foreign.items():
            assert await raw.get(name) == value
        assert await raw.hgetall(b"hash::field") == {b"a": b"1"}
        assert await plain.destroy() is False

        after = await command_calls(raw)
        for command in ("flushdb", "flushall", "keys"):
            assert after.get(command, 0) == before.get(command, 0), command
    finally:
        await other.destroy()
        await raw.delete(*foreign, b"hash::field")
        for store in (plain, mine, other):
            await store.close()


async def check_glob_characters_in_names(store: RespStore) -> None:
    """Collections with glob characters list and destroy only themselves."""
    names = ["a*", "a?", "a[b]", "a\\", "a", "ab", "a]", "a[", "*"]
    for name in names:
        await store.put("k", {"c": name}, collection=name)
        await store.put(f"{name}-key", {"c": name}, collection=name)
    for name in names:
        assert sorted(await store.keys(name)) == sorted(["k", f"{name}-key"]), name
    assert set(names) <= set(await store.collections())
    assert await store.destroy_collection("a*") is True
    assert await store.keys("a*") == []
    for name in names:
        if name != "a*":
            assert await store.get("k", collection=name) == {"c": name}, name


async def _fill(store: RespStore, collection: str, count: int, tag: str = "key") -> list[str]:
    keys = [f"{tag}-{index}" for index in range(count)]
    for start in range(0, count, 1000):
        chunk = keys[start : start + 1000]
        await store.put_many(chunk, [{"i": 1}] * len(chunk), collection=collection)
    return keys


async def check_limited_listing(make_store: Callable[[str | None], RespStore], raw: Any) -> None:
    """keys(limit=N), iter_keys and collections(limit=N) are exact and complete, with a
    namespace, beside another namespace, foreign keys, a sparse collection and many keys."""
    store = make_store(f"lim-{uuid.uuid4().hex}")
    other = make_store(f"oth-{uuid.uuid4().hex}")
    foreign = [f"foreign-{index}".encode() for index in range(2000)]
    try:
        await raw.mset(dict.fromkeys(foreign, b"x"))
        many = set(await _fill(store, "many", 10_000))
        await _fill(other, "many", 3000)  # same collection name, other namespace
        sparse = set(await _fill(store, "sparse", 5, "s"))
        # An expired key is not listed by the server once it is gone.
        await store.put("short", {"v": 1}, collection="sparse", ttl=0.001)
        for limit in (0, 1, 2, 10, 99, 100, 1000, 1001, 9999, 10_000, 20_000):
            found = await store.keys("many", limit=limit)
            assert len(found) == min(limit, 10_000), limit
            assert len(set(found)) == len(found), limit
            assert set(found) <= many, limit
        assert set(await store.keys("many")) == many
        assert len(await store.keys("many")) == 10_000
        walked = [key async for key in store.iter_keys("many", page_size=7)]
        assert len(walked) == 10_000
        assert set(walked) == many
        # A collection of 5 (or 6) keys among 15,000 others: found however far they lie.
        for limit in (1, 3, 5):
            found = await store.keys("sparse", limit=limit)
            assert len(found) == limit, limit
            assert set(found) <= sparse | {"short"}, limit
        assert set(await store.keys("sparse")) - {"short"} == sparse
        assert await store.keys("missing", limit=10) == []
        # Collections: distinct names, each once, the limit exact.
        names = {f"c{index}" for index in range(30)}
        for name in names:
            await store.put("k", {"v": 1}, collection=name)
        everything = names | {"many", "sparse"}
        for limit in (1, 10, 31, 32, 100):
            found = await store.collections(limit=limit)
            assert len(found) == min(limit, len(everything)), limit
            assert len(set(found)) == len(found), limit
            assert set(found) <= everything, limit
        assert set(await store.collections()) == everything
    finally:
        await raw.delete(*foreign)
        await store.destroy()
        await other.destroy()
        await store.close()
        await other.close()


async def check_small_limit_is_one_scan(store: RespStore, raw: Any) -> None:
    """keys(limit=N) for a small N on a collection of 10,000 keys (most of the
    database, beside 500 keys of another collection) sends ONE ``SCAN``; a sparse
    collection is found in a few growing ones (never a SCAN per COUNT of N)."""
    keys = set(await _fill(store, "big", 10_000))
    await _fill(store, "other", 500)
    few = set(await _fill(store, "few", 5))
    for limit in (1, 10):
        commands, reads = await measure(raw, lambda n=limit: store.keys("big", limit=n))
        assert commands == {"scan": 1}, (limit, commands)
        assert reads == 1, (limit, reads)
    tasks = len(asyncio.all_tasks())
    found = await store.keys("big", limit=10)
    assert len(found) == 10
    assert set(found) <= keys
    # The SCAN walk is closed by the call, not left to the loop's finalizer (which
    # would make a task in the next loop iteration, one per call).
    await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) == tasks
    commands, _ = await measure(raw, lambda: store.collections(limit=1))
    assert commands == {"scan": 1}, commands
    # A walk's first page comes from one SCAN sized to its page_size.
    stats_before = await command_calls(raw)
    walk = store.iter_keys("big", page_size=10)
    first = [await walk.__anext__() for _ in range(10)]
    await walk.aclose()
    assert len(set(first)) == 10
    assert (await command_calls(raw)).get("scan", 0) - stats_before.get("scan", 0) == 1
    # 5 keys among 10,500: COUNT grows (x4) until they are found, so few SCANs.
    for limit in (1, None):
        commands, _ = await measure(raw, lambda n=limit: store.keys("few", limit=n))
        assert set(commands) == {"scan"}, commands
        assert commands["scan"] <= 12, (limit, commands)
    assert set(await store.keys("few")) == few


async def check_limited_listing_on_a_cluster(store: RespStore) -> None:
    """keys(limit=N) and iter_keys on a cluster: exact, complete, over every primary."""
    try:
        keys = set(await _fill(store, "c", 600))
        for limit in (1, 10, 250, 599, 600, 1000):
            found = await store.keys("c", limit=limit)
            assert len(found) == min(limit, 600), limit
            assert len(set(found)) == len(found), limit
            assert set(found) <= keys, limit
        assert set(await store.keys("c")) == keys
        assert {key async for key in store.iter_keys("c", page_size=7)} == keys
        assert await store.collections(limit=1) == ["c"]
    finally:
        await store.destroy()
        await store.close()


async def check_fault_recovery(
    store: RespStore, server: ServerProcess, library_error: type
) -> None:
    """Kill the server mid-workload, see StoreConnectionError, restart, carry on, lose nothing."""
    await store.setup()
    config = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in (await store.client.config_get("append*")).items()
    }
    assert (config["appendonly"], config["appendfsync"]) == ("yes", "always"), config
    acknowledged: dict[str, dict[str, int]] = {}
    failures: list[BaseException] = []
    enough = anyio.Event()

    async def writer(worker: int) -> None:
        i = 0
        while True:
            key, value = f"w{worker}-{i}", {"w": worker, "i": i}
            try:
                await store.put(key, value, collection="fault", ttl=3600 if i % 2 else None)
            except Exception as error:
                failures.append(error)
                return
            acknowledged[key] = value  # only once the put returned
            if len(acknowledged) >= 300:
                enough.set()
            i += 1

    async with anyio.create_task_group() as group:
        for worker in range(4):
            group.start_soon(writer, worker)
        with anyio.fail_after(30):
            await enough.wait()
        await anyio.to_thread.run_sync(server.kill)

    assert len(failures) == 4
    for error in failures:
        assert isinstance(error, kv.StoreConnectionError), repr(error)
        assert not isinstance(error, library_error)
        assert error.collection == "fault"
        assert error.key is not None

    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: store.get("w0-0", collection="fault"),
        lambda: store.put("x", {"v": 1}, collection="fault"),
        lambda: store.get_many(["w0-0", "w1-0"], collection="fault"),
        lambda: store.put_many(["x", "y"], [{}, {}], collection="fault", ttl=5),
        lambda: store.delete("x", collection="fault"),
        lambda: store.keys("fault"),
    ]
    for call in calls:
        with pytest.raises(kv.StoreConnectionError) as caught:
            await call()
        assert not isinstance(caught.value, library_error)

    await anyio.to_thread.run_sync(server.start)

    # The same store object carries on, and every acknowledged write survived.
    keys = list(acknowledged)
    assert await store.get_many(keys, collection="fault") == list(acknowledged.values())
    remaining = await store.ttl_many(keys, collection="fault")
    for key, (_, ttl) in zip(keys, remaining):
        if int(key.rsplit("-", 1)[1]) % 2:
            assert ttl is not None, key
            assert 3000 < ttl <= 3600, (key, ttl)
        else:
            assert ttl is None, (key, ttl)
    await store.put("after", {"ok": True}, collection="fault")
    assert await store.get("after", collection="fault") == {"ok": True}
    assert len(await store.keys("fault")) >= len(keys) + 1


# --- reliability under load: calls in flight, event loops, timeouts ----------------


def open_descriptors() -> int:
    """How many file descriptors this process holds (Linux: ``/proc/self/fd``)."""
    import os

    return len(os.listdir("/proc/self/fd"))


async def check_calls_in_flight(store: RespStore, count: int = 1000) -> None:
    """``count`` puts, then ``count`` gets, then both mixed, all at once: every one answered."""
    import asyncio

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
            store.get(key, collection="flight")
            if i % 2
            else store.put(key, {"again": i}, collection="flight")
            for i, key in enumerate(keys)
        ),
        return_exceptions=True,
    )
    failed = [result for result in mixed if isinstance(result, BaseException)]
    assert not failed, f"{len(failed)} of {count} mixed calls failed, first: {failed[0]!r}"
    # Bulk calls and deletes at once: the first ones take free slots (the direct
    # path), the rest wait for one (the gated path); every answer is right.
    groups = [keys[i : i + 10] for i in range(0, count, 10)]
    written = await asyncio.gather(
        *(
            store.put_many(group, [{"g": i}] * len(group), collection="flight")
            for i, group in enumerate(groups)
        ),
        return_exceptions=True,
    )
    assert not [result for result in written if isinstance(result, BaseException)]
    read = await asyncio.gather(
        *(store.get_many(group, collection="flight") for group in groups),
        return_exceptions=True,
    )
    assert read == [[{"g": i}] * len(group) for i, group in enumerate(groups)]
    halves = [(group[:5], group[5:]) for group in groups]
    deleted = await asyncio.gather(
        *(
            store.delete_many(first, collection="flight")
            if i % 2
            else store.delete(first[0], collection="flight")
            for i, (first, _) in enumerate(halves)
        ),
        return_exceptions=True,
    )
    assert deleted == [len(first) if i % 2 else True for i, (first, _) in enumerate(halves)]


async def connected_clients(raw: Any) -> int:
    """How many clients the server has connected (``INFO clients``)."""
    return int((await raw.info("clients"))["connected_clients"])


async def check_max_connections_makes_callers_wait(store: RespStore, raw: Any) -> None:
    """With ``max_connections=2``, 300 calls at once all succeed over at most 2 connections."""
    import asyncio

    before = await connected_clients(raw)
    highest = before
    stop = asyncio.Event()

    async def watch() -> None:
        nonlocal highest
        while not stop.is_set():
            highest = max(highest, await connected_clients(raw))
            await asyncio.sleep(0)

    watcher = asyncio.ensure_future(watch())
    try:
        results = await asyncio.gather(
            *(store.put(f"w{i}", {"i": i}, collection="wait") for i in range(300)),
            *(store.get(f"w{i}", collection="wait") for i in range(300)),
            return_exceptions=True,
        )
    finally:
        stop.set()
        await watcher
    failed = [result for result in results if isinstance(result, BaseException)]
    assert not failed, f"{len(failed)} of 600 calls failed, first: {failed[0]!r}"
    assert highest - before <= 2, f"{highest - before} connections for max_connections=2"


def check_successive_event_loops(store: RespStore, rounds: int = 10) -> None:
    """One store object, ``rounds`` successive ``asyncio.run()`` calls: every call works."""
    import asyncio

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
        assert key in await store.keys("loops")

    for round_number in range(rounds):
        asyncio.run(handler(round_number))

    async def last() -> None:
        got = await store.get_many([f"round-{i}" for i in range(rounds)], collection="loops")
        assert got == [{"round": i} for i in range(rounds)]
        await store.destroy()
        await store.close()

    asyncio.run(last())


def check_descriptors_across_event_loops(store: RespStore, loops: int = 20) -> None:
    """File descriptors do not grow with the number of loops a store was used in.

    Each loop runs 20 calls at once (several connections). Loops that end
    through ``asyncio.run`` have their connections closed in them; loops closed
    without shutting down (a bare ``loop.close()``) leave theirs to be dropped.
    """
    import asyncio
    import gc

    async def handler() -> None:
        await asyncio.gather(*(store.put(f"fd{i}", {"i": i}, collection="fds") for i in range(20)))
        assert await store.get("fd3", collection="fds") == {"i": 3}

    def bare_loop() -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(handler())
        finally:
            loop.close()

    for _ in range(3):  # one-time costs: imports, the cluster's slot map, caches
        asyncio.run(handler())
    gc.collect()
    before = open_descriptors()
    for _ in range(loops):
        asyncio.run(handler())
    gc.collect()
    after_runs = open_descriptors()
    for _ in range(loops):
        bare_loop()
    asyncio.run(handler())  # the next loop's first call lets the dead loops go
    gc.collect()
    after_bare = open_descriptors()
    asyncio.run(store.close())
    # A few descriptors of slack (a loop's own self-pipe, ...), never one per loop.
    assert after_runs - before <= 4, f"{after_runs - before} more descriptors after {loops} runs"
    assert after_bare - before <= 8, (
        f"{after_bare - before} more descriptors after {loops} loops closed without shutdown"
    )


async def check_timeout_is_the_bound(
    store: RespStore, server_pids: list[int], timeout: float
) -> None:
    """A server that stops answering fails calls after ``timeout``, never twice it.

    The servers are stopped with SIGSTOP (their sockets stay open, nothing is
    answered) and always resumed with SIGCONT. One call runs on an open
    connection; with ``max_connections=1`` in the store, a second call waits
    for that connection: both fail with StoreTimeoutError within ``timeout``
    of their start (plus scheduling slack), where a retried command would
    take at least twice that.
    """
    import os
    import signal
    import time

    assert await store.get("before", collection="stuck") is None  # connected
    for pid in server_pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        with pytest.raises(kv.StoreTimeoutError) as caught:
            await store.get("k", collection="stuck")
        elapsed = time.monotonic() - start
        assert caught.value.key == "k"
        assert timeout * 0.9 <= elapsed < 2 * timeout, f"failed after {elapsed:.2f} s"

        results: list[tuple[BaseException | None, float]] = []

        async def timed(key: str) -> None:
            begun = time.monotonic()
            try:
                await store.put(key, {"v": 1}, collection="stuck")
            except BaseException as error:
                results.append((error, time.monotonic() - begun))
            else:
                results.append((None, time.monotonic() - begun))

        async with anyio.create_task_group() as group:
            group.start_soon(timed, "a")
            group.start_soon(timed, "b")
        for error, took in results:
            assert isinstance(error, kv.StoreTimeoutError), repr(error)
            assert took < 2 * timeout, f"a call failed after {took:.2f} s"
    finally:
        for pid in server_pids:
            os.kill(pid, signal.SIGCONT)
    # and the store works again once the server answers
    assert await store.get("after", collection="stuck") is None


# --- atomic operations ------------------------------------------------------------


async def _flush_scripts(client: Any, cluster: bool) -> None:
    """``SCRIPT FLUSH`` on the server, or on every primary of a cluster."""
    if not cluster:
        await client.execute_command("SCRIPT", "FLUSH")
        return
    for node in client.get_primaries():
        await client.execute_command("SCRIPT", "FLUSH", target_nodes=node)


async def check_atomic_survives_script_flush(store: RespStore, *, cluster: bool = False) -> None:
    """The scripts run again after the server lost them (``NOSCRIPT``: sent whole)."""
    await store.put("k", {"v": 1}, collection="atomic")
    for _ in range(2):  # the first EVAL loads the scripts, the second flush evicts them again
        found = await store.get_versioned("k", collection="atomic")
        assert found is not None
        await _flush_scripts(store.client, cluster)
        assert await store.put_if_version("k", {"v": 2}, found.version, collection="atomic")
        assert not await store.put_if_version("k", {"v": 3}, found.version, collection="atomic")
        again = await store.get_versioned("k", collection="atomic")
        assert again is not None
        assert again.value == {"v": 2}
        await _flush_scripts(store.client, cluster)
        assert await store.delete_if_version("k", again.version, collection="atomic")
        assert await store.get("k", collection="atomic") is None
        await store.put("k", {"v": 1}, collection="atomic")


async def check_atomic_round_trips(store: RespStore, raw: Any) -> None:
    """Each conditional write is one command in one round trip; the version is the
    SHA-1 of the stored document (what ``redis.sha1hex`` computes on the server)."""
    import hashlib

    assert await store.get("warm-up", collection="atomic") is None  # connect first
    # Load the scripts (EVALSHA, NOSCRIPT, EVAL), then count.
    assert await store.put_if_absent("warm-up", {"v": 1}, collection="atomic")
    assert not await store.put_if_version("warm-up", {"v": 2}, "x", collection="atomic")
    assert not await store.delete_if_version("warm-up", "x", collection="atomic")

    async def claim() -> None:
        assert await store.put_if_absent("k", {"v": 1}, collection="atomic", ttl=60)

    commands, reads = await measure(raw, claim)
    assert commands.get("evalsha") == 1, commands
    assert "eval" not in commands, commands
    assert reads == 1, reads
    name = store.layout.key("atomic", "k")
    stored = await raw.get(name)
    assert 0 < await raw.pttl(name) <= 60_000
    found = await store.get_versioned("k", collection="atomic")
    assert found is not None
    assert found.version == hashlib.sha1(stored).hexdigest()
    sha1hex = "return redis.sha1hex(redis.call('GET', KEYS[1]))"
    assert found.version.encode() == await raw.eval(sha1hex, 1, name)

    async def refused_claim() -> None:
        assert not await store.put_if_absent("k", {"v": 2}, collection="atomic")

    commands, reads = await measure(raw, refused_claim)
    assert commands.get("evalsha") == 1, commands
    assert "set" not in commands, commands
    assert reads == 1, reads

    async def swap() -> None:
        assert await store.put_if_version("k", {"v": 2}, found.version, collection="atomic")

    commands, reads = await measure(raw, swap)
    assert commands.get("evalsha") == 1, commands
    assert reads == 1, reads
    assert await raw.pttl(name) == -1, "put_if_version without a TTL keeps none"
    current = await store.get_versioned("k", collection="atomic")
    assert current is not None

    async def delete() -> None:
        assert await store.delete_if_version("k", current.version, collection="atomic")

    commands, reads = await measure(raw, delete)
    assert commands.get("evalsha") == 1, commands
    assert reads == 1, reads
    assert await raw.exists(name) == 0


async def check_atomic_after_server_closed_connections(store: RespStore, raw: Any) -> None:
    """Conditional writes are sent once (never retried), yet a connection the server
    closed while idle is replaced before anything is sent: the call succeeds."""
    assert await store.put_if_absent("k", {"v": 1}, collection="atomic")
    found = await store.get_versioned("k", collection="atomic")
    assert found is not None
    await raw.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
    assert await raw.ping()
    assert await store.put_if_version("k", {"v": 2}, found.version, collection="atomic")
    await raw.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
    assert await raw.ping()
    assert not await store.put_if_absent("k", {"v": 3}, collection="atomic")
    assert await store.get("k", collection="atomic") == {"v": 2}


async def check_conditional_writes_are_not_retried(
    store: RespStore, raw: Any, *, plain_put_retried: bool
) -> None:
    """A conditional write whose connection breaks mid-call fails and is not sent again.

    The scripts are loaded first, so the call under test is one EVALSHA.

    The server holds the store's write (``CLIENT PAUSE ... WRITE``), the
    connection is killed while the write waits (so it never ran), then the
    pause ends. ``put_if_absent`` and ``put_if_version`` raise
    StoreConnectionError and write nothing (a retry would have written and
    answered True). The plain ``put`` is the witness: redis-py retries it on a
    new connection (``plain_put_retried``); valkey-py does not retry a
    connection the server closed mid-reply.
    """
    await store.put("versioned", {"v": 1}, collection="atomic")
    found = await store.get_versioned("versioned", collection="atomic")
    assert found is not None
    assert not await store.put_if_absent("versioned", {"v": 0}, collection="atomic")
    own = await raw.client_id()
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "set": lambda: store.put("plain", {"v": 1}, collection="atomic"),
        "evalsha put_if_absent": lambda: store.put_if_absent(
            "claimed", {"v": 1}, collection="atomic"
        ),
        "evalsha put_if_version": lambda: store.put_if_version(
            "versioned", {"v": 2}, found.version, collection="atomic"
        ),
    }
    outcomes = {label: await _held_and_cut(raw, own, label, call) for label, call in calls.items()}
    if plain_put_retried:
        assert outcomes["set"] is None, outcomes  # retried: done
        assert await store.get("plain", collection="atomic") == {"v": 1}
    else:
        assert isinstance(outcomes["set"], kv.StoreConnectionError), outcomes
    assert isinstance(outcomes["evalsha put_if_absent"], kv.StoreConnectionError), outcomes
    assert isinstance(outcomes["evalsha put_if_version"], kv.StoreConnectionError), outcomes
    assert await store.get("claimed", collection="atomic") is None
    assert await store.get("versioned", collection="atomic") == {"v": 1}
    # The store still works.
    assert await store.put_if_absent("claimed", {"v": 2}, collection="atomic")
    assert await store.put_if_version("versioned", {"v": 2}, found.version, collection="atomic")


async def _held_and_cut(
    raw: Any, own: int, label: str, call: Callable[[], Awaitable[object]]
) -> object:
    """``call()``'s result or StoreConnectionError, its command held by the server
    (``CLIENT PAUSE ... WRITE``) and its connection killed meanwhile."""
    from kv_conformance.support import eventually

    command = label.split()[0]
    outcome: list[object] = []
    waiting: list[int] = []

    async def run() -> None:
        try:
            outcome.append(await call())
        except kv.StoreConnectionError as error:
            outcome.append(error)

    async def held() -> bool:
        waiting[:] = [
            int(client["id"])
            for client in await raw.client_list()
            if client.get("cmd") == command and int(client["id"]) != own
        ]
        return bool(waiting)

    await raw.execute_command("CLIENT", "PAUSE", 120_000, "WRITE")
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(run)
            assert await eventually(held, within=60), f"the {label} never reached the server"
            for client_id in waiting:
                await raw.execute_command("CLIENT", "KILL", "ID", client_id)
            await raw.execute_command("CLIENT", "UNPAUSE")
    finally:
        await raw.execute_command("CLIENT", "UNPAUSE")
    return outcome[0]


async def check_expired_documents_count_as_absent(store: RespStore, raw: Any) -> None:
    """A key still on the server whose document has expired is absent to the scripts.

    The server expires a key ``PX`` after the ``SET`` arrived, the document
    ``ttl`` after the client wrote it: in between, kv's reads say "absent" and
    the conditional writes must agree. Documents are written raw, without a
    server TTL, with ``expires_at`` in the forms a document may hold.
    """
    import hashlib
    import time

    from kv.entry import StoredEntry, encode_document, format_timestamp

    now = time.time()
    past, future = format_timestamp(now - 5), format_timestamp(now + 300)
    forms = {
        "kv's": (past, future),
        "Z": (past.replace("+00:00", "Z"), future.replace("+00:00", "Z")),
        "naive": (past.replace("+00:00", ""), future.replace("+00:00", "")),
        "+02:00": (
            format_timestamp(now - 5 + 7200).replace("+00:00", "+02:00"),
            format_timestamp(now + 300 + 7200).replace("+00:00", "+02:00"),
        ),
        "-01:30": (
            format_timestamp(now - 5 - 5400).replace("+00:00", "-01:30"),
            format_timestamp(now + 300 - 5400).replace("+00:00", "-01:30"),
        ),
        "whole seconds": (
            format_timestamp(float(int(now) - 5)),
            format_timestamp(float(int(now) + 300)),
        ),
    }
    template = encode_document(
        StoredEntry('{"v":1}', now - 10, now + 1), collection="atomic", key="k"
    )
    marker = f'"expires_at":"{format_timestamp(now + 1)}"'
    assert marker in template
    name = store.layout.key("atomic", "k")
    for form, (expired_at, live_at) in forms.items():
        for expires_at, live in ((expired_at, False), (live_at, True)):
            document = template.replace(marker, f'"expires_at":"{expires_at}"')
            version = hashlib.sha1(document.encode()).hexdigest()
            label = f"{form} {'live' if live else 'expired'}"
            await raw.set(name, document)
            assert (await store.get_versioned("k", collection="atomic") is not None) == live, label
            assert await store.delete_if_version("k", version, collection="atomic") == live, label
            await raw.set(name, document)
            assert (
                await store.put_if_version("k", {"v": 2}, version, collection="atomic") == live
            ), label
            await raw.set(name, document)
            assert await store.put_if_absent("k", {"v": 3}, collection="atomic") != live, label
            expected = {"v": 1} if live else {"v": 3}
            assert await store.get("k", collection="atomic") == expected, label
    await raw.delete(name)
