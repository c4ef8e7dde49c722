"""duckdb:// point reads run inline on the event loop; writes of a database file
(each syncs DuckDB's log) in the worker thread; a ``:memory:`` store writes inline too."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from kv.blocking import running_inline
from kv.options import DEFAULT_INLINE_BUDGET
from kv_duckdb.store import DuckDBStore

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[DuckDBStore]:
    # A budget no call overruns, even on a busy machine: these tests check where
    # calls run, not how long they take.
    store = DuckDBStore(tmp_path / "kv.duckdb", sweep_interval=None, inline_budget=60)
    try:
        yield store
    finally:
        await store.close()


class _Where:
    """Wraps the store's connection and records where each statement ran."""

    def __init__(self, store: DuckDBStore) -> None:
        assert store._connection is not None
        self.connection = store._connection
        self.inline: list[bool] = []
        self.threads: set[int] = set()
        store._connection = self  # type: ignore[assignment]

    def execute(self, sql: str, parameters: object = None) -> object:
        self.inline.append(running_inline())
        self.threads.add(threading.get_ident())
        return self.connection.execute(sql, parameters)

    def close(self) -> None:
        self.connection.close()


async def test_point_reads_run_inline_and_writes_of_a_file_in_the_thread(
    store: DuckDBStore,
) -> None:
    await store.setup()
    assert DuckDBStore(":memory:").options.inline_budget == DEFAULT_INLINE_BUDGET
    where = _Where(store)
    await store.put("k", {"v": 1}, ttl=60)
    assert await store.get("k") == {"v": 1}
    assert await store.put_if_absent("k", {"v": 2}) is False
    assert await store.get_versioned("k") is not None
    assert await store.delete("k") is True
    assert await store.delete("k") is False
    assert where.inline == [False, True, False, True, False, False]
    assert threading.get_ident() in where.threads
    assert len(where.threads) >= 2  # and worker threads for the writes


async def test_a_memory_store_writes_inline_too() -> None:
    store = DuckDBStore(":memory:", sweep_interval=None, inline_budget=60)
    try:
        await store.setup()
        where = _Where(store)
        await store.put("k", {"v": 1})
        assert await store.get("k") == {"v": 1}
        assert await store.delete("k") is True
        assert where.inline == [True, True, True]
    finally:
        await store.close()


async def test_no_budget_runs_every_call_in_the_thread(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "kv.duckdb", inline_budget=None, sweep_interval=None)
    try:
        await store.setup()
        where = _Where(store)
        await store.put("k", {"v": 1})
        assert await store.get("k") == {"v": 1}
        assert where.inline == [False, False]
    finally:
        await store.close()


async def test_delete_of_one_key_counts_only_a_live_entry(store: DuckDBStore) -> None:
    await store.put("short", {"v": 1}, ttl=0.05)
    await store.put("long", {"v": 2}, ttl=3600)
    with anyio.fail_after(30):
        while await store.get("short") is not None:
            await anyio.sleep(0.02)
    assert await store.delete("short") is False  # expired: not counted, left to the sweep
    assert await store.get("short") is None
    assert await store.delete("long") is True
    assert await store.get("long") is None
    assert await store.cull() == 1  # the expired row
    assert store._connection is not None
    assert store._connection.execute("SELECT count(*) FROM kv_entries").fetchone() == (0,)
