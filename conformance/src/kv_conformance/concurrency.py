"""A store used the way production uses it: many calls at once, many event loops.

One store object serves a whole application: hundreds of calls in flight on
it at once, and, in sync web handlers, task queues and command lines, one
``asyncio.run()`` after another. These tests check that every call is
answered, that concurrent writes never lose or mix up entries, and that the
store works in each new event loop and again in the first one.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, cast

import anyio

import kv
from kv_conformance.support import Miss, capabilities_of

__all__ = ["ConcurrencyTests", "gather_all"]


async def gather_all(calls: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run every call at once on the current event loop; return results in order.

    Raises:
        AssertionError: any call failed; the message counts the failures and
            shows the first one.
    """
    results: list[Any] = [None] * len(calls)
    failures: list[BaseException] = []

    async def run(index: int, call: Callable[[], Awaitable[Any]]) -> None:
        try:
            results[index] = await call()
        except Exception as error:
            failures.append(error)

    async with anyio.create_task_group() as group:
        for index, call in enumerate(calls):
            group.start_soon(run, index, call)
    if failures:
        first = failures[0]
        raise AssertionError(
            f"{len(failures)} of {len(calls)} concurrent calls failed;"
            f" the first: {type(first).__name__}: {first}"
        ) from first
    return results


def _backend_name(anyio_backend: object) -> str:
    if isinstance(anyio_backend, tuple):
        return str(anyio_backend[0])
    return str(anyio_backend)


class ConcurrencyTests:
    """Many calls in flight on one store, and one store across event loops."""

    in_flight: int = 1000
    """How many calls the in-flight tests start at once on one store object
    (lower it only for a backend that serialises every call, and say why)."""

    event_loops: int = 10
    """How many successive event loops the event-loop test uses the store from."""

    async def test_many_calls_in_flight_are_all_answered(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        count = self.in_flight
        keys = [f"flight-{i}" for i in range(count)]

        await gather_all(
            [partial(store.put, keys[i], {"i": i}, collection="flight") for i in range(count)]
        )
        got = await gather_all([partial(store.get, key, collection="flight") for key in keys])
        if capabilities_of(store).bounded:  # may have evicted some: never a wrong value
            assert all(value in ({"i": i}, miss.value) for i, value in enumerate(got))
        else:
            assert got == [{"i": i} for i in range(count)]

    async def test_mixed_calls_in_flight(self, store: kv.AsyncKeyValue) -> None:
        count = self.in_flight
        await store.put_many(["a", "b", "c"], [{"v": 1}, {"v": 2}, {"v": 3}], collection="mix")
        calls: list[Callable[[], Awaitable[Any]]] = []
        for i in range(count):
            kind = i % 5
            if kind == 0:
                calls.append(partial(store.get, "a", collection="mix"))
            elif kind == 1:
                calls.append(partial(store.put, f"w{i}", {"i": i}, collection="mix", ttl=600))
            elif kind == 2:
                calls.append(partial(store.get_many, ["a", "b", "c"], collection="mix"))
            elif kind == 3:
                calls.append(partial(store.ttl, "b", collection="mix"))
            else:
                calls.append(partial(store.delete, f"absent{i}", collection="mix"))
        results = await gather_all(calls)
        for i, result in enumerate(results):
            kind = i % 5
            if kind == 0:
                assert result == {"v": 1}
            elif kind == 2:
                assert result == [{"v": 1}, {"v": 2}, {"v": 3}]
            elif kind == 3:
                assert result == ({"v": 2}, None)
            elif kind == 4:
                assert result is False

    async def test_store_works_across_successive_event_loops(
        self, store: kv.AsyncKeyValue, anyio_backend: object, miss: Miss
    ) -> None:
        await store.put("first-loop", {"v": 0}, collection="loops")
        backend = _backend_name(anyio_backend)
        rounds = self.event_loops
        enumerates = isinstance(store, kv.EnumerateKeys)

        async def handler(round_number: int) -> None:
            key = f"round-{round_number}"
            await store.put(key, {"round": round_number}, collection="loops")
            assert await store.get(key, collection="loops") == {"round": round_number}
            assert await store.get("first-loop", collection="loops") == {"v": 0}
            await store.put_many(
                [f"{key}-a", f"{key}-b"], [{"n": 1}, {"n": 2}], collection="loops", ttl=600
            )
            got = await store.get_many([f"{key}-a", f"{key}-b"], collection="loops")
            assert got == [{"n": 1}, {"n": 2}]
            value, remaining = await store.ttl(f"{key}-a", collection="loops")
            assert value == {"n": 1}
            assert remaining is not None
            assert await store.delete(f"{key}-b", collection="loops") is True
            if enumerates:
                listed = await cast(kv.EnumerateKeys, store).keys("loops")
                assert key in listed

        def successive_loops() -> None:
            for round_number in range(rounds):
                anyio.run(handler, round_number, backend=backend)

        await anyio.to_thread.run_sync(successive_loops)
        # ... and back in the loop the store was first used in.
        got = await store.get_many([f"round-{i}" for i in range(rounds)], collection="loops")
        assert got == [{"round": i} for i in range(rounds)]
        assert await store.get("first-loop", collection="loops") == {"v": 0}
        close = getattr(store, "close", None)
        if close is not None:
            await close()

            def loop_after_close() -> Any:
                return anyio.run(store.get, "first-loop", backend=backend)

            persistent_or_open = await anyio.to_thread.run_sync(loop_after_close)
            assert persistent_or_open in ({"v": 0}, miss.value)

    async def test_concurrent_puts_of_different_keys_all_land(
        self, store: kv.AsyncKeyValue
    ) -> None:
        count = 200
        keys = [f"k{i}" for i in range(count)]
        await gather_all(
            [partial(store.put, keys[i], {"i": i}, collection="race") for i in range(count)]
        )
        assert await store.get_many(keys, collection="race") == [{"i": i} for i in range(count)]
        if isinstance(store, kv.EnumerateKeys):
            assert sorted(await store.keys("race")) == sorted(keys)

    async def test_concurrent_puts_of_one_key_leave_one_written_value(
        self, store: kv.AsyncKeyValue
    ) -> None:
        writers = 100
        await gather_all(
            [
                partial(store.put, "one", {"writer": i, "pad": "x" * i}, collection="race")
                for i in range(writers)
            ]
        )
        final = await store.get("one", collection="race")
        assert final is not None
        assert final == {"writer": final["writer"], "pad": "x" * final["writer"]}
        if isinstance(store, kv.EnumerateKeys):
            assert await store.keys("race") == ["one"]

    async def test_racing_put_with_and_without_ttl_stays_consistent(
        self, store: kv.AsyncKeyValue
    ) -> None:
        rounds = 40
        calls: list[Callable[[], Awaitable[None]]] = []
        for i in range(rounds):
            key = f"mixed-{i}"
            with_ttl = partial(store.put, key, {"ttl": True}, collection="race", ttl=3600)
            without = partial(store.put, key, {"ttl": False}, collection="race")
            calls.extend([with_ttl, without] if i % 2 else [without, with_ttl])
        await gather_all(calls)
        results = await store.ttl_many([f"mixed-{i}" for i in range(rounds)], collection="race")
        for i, (value, remaining) in enumerate(results):
            assert value is not None, f"mixed-{i} was lost"
            if value["ttl"]:
                assert remaining is not None, f"mixed-{i}: the TTL put's value without its TTL"
                assert 3000 < remaining <= 3600
            else:
                assert remaining is None, f"mixed-{i}: the plain put's value with a TTL"

    async def test_crossed_order_batch_writes(self, store: kv.AsyncKeyValue) -> None:
        keys = [f"batch-{i:03d}" for i in range(60)]
        pairs = 10
        shuffled = random.Random(8).sample(keys, len(keys))
        calls: list[Callable[[], Awaitable[None]]] = []
        for pair in range(pairs):
            forward = [{"writer": f"f{pair}"}] * len(keys)
            backward = [{"writer": f"b{pair}"}] * len(keys)
            calls.append(partial(store.put_many, keys, forward, collection="batches"))
            calls.append(partial(store.put_many, shuffled, backward, collection="batches"))
        await gather_all(calls)
        written = {f"f{p}" for p in range(pairs)} | {f"b{p}" for p in range(pairs)}
        got = await store.get_many(keys, collection="batches")
        for key, value in zip(keys, got):
            assert value is not None, f"{key} was lost"
            assert value["writer"] in written
        assert await store.delete_many(keys, collection="batches") == len(keys)
