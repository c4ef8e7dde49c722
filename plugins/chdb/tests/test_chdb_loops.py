"""One ``chdb://`` store object used the way a sync program uses it.

A command line or a sync web handler calls ``asyncio.run()`` per request:
each call runs in a new event loop, closed before the next one starts, with
many calls in flight on the one store object.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from kv_chdb.store import ChDBStore


def test_one_store_across_ten_asyncio_runs_with_calls_in_flight(tmp_path: Path) -> None:
    store = ChDBStore(tmp_path / "db")
    written: list[str] = []

    async def request(round_number: int, in_flight: int) -> None:
        keys = [f"r{round_number}-{i:04d}" for i in range(in_flight)]
        await asyncio.gather(
            *(store.put(key, {"i": i}, collection="loops") for i, key in enumerate(keys))
        )
        written.extend(keys)
        got = await asyncio.gather(*(store.get(key, collection="loops") for key in keys))
        assert got == [{"i": i} for i in range(in_flight)]
        assert await store.keys("loops") == sorted(written)

    asyncio.run(request(0, 1000))  # the first use: 1000 calls wait for one open
    for round_number in range(1, 10):
        asyncio.run(request(round_number, 100))
    asyncio.run(store.close())
    asyncio.run(request(10, 100))  # reopened in yet another loop
    asyncio.run(store.close())
