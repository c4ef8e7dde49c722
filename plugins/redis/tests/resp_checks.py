"""Checks shared by the kv-redis and kv-valkey tests, run against real servers.

Each takes the store under test and a raw asyncio client of the same library
on the same server, so the server itself is the witness: ``INFO
commandstats`` counts the commands a call sent, ``INFO stats``'s
``total_reads_processed`` counts the reads the server had to do (one per
round trip for a small request), ``TYPE``/``GET`` show what is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

import kv
from kv.resp import RespStore
from kv_conformance.servers import ServerProcess


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
