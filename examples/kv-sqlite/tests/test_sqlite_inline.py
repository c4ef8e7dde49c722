"""sqlite:// point calls: inline on a connection that never waits, in the thread otherwise."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from kv_sqlite.store import _CHECKPOINT_WRITES, SQLiteStore, _Connections

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    # A budget no call overruns, even on a busy machine: these tests check where
    # calls run, not how long they take.
    store = SQLiteStore(tmp_path / "kv.db", sweep_interval=None, inline_budget=60)
    try:
        await store.setup()
        yield store
    finally:
        await store.close()


def traced(store: SQLiteStore) -> tuple[_Connections, list[str], list[str]]:
    """The store's connections, and the statements each one runs from now on."""
    connections = store._engine.handle
    assert connections is not None
    main: list[str] = []
    inline: list[str] = []
    connections.main.set_trace_callback(main.append)
    connections.inline.set_trace_callback(inline.append)
    return connections, main, inline


def verbs(statements: list[str]) -> list[str]:
    return [statement.split(None, 1)[0] for statement in statements]


async def test_point_calls_run_on_the_inline_connection(store: SQLiteStore) -> None:
    connections, main, inline = traced(store)
    assert connections.inline is not connections.main
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    assert await store.put_if_absent("k", {"v": 2}) is False
    assert await store.delete("k") is True
    assert await store.delete("k") is False
    assert verbs(inline) == ["INSERT", "SELECT", "INSERT", "DELETE", "DELETE"]
    assert main == []
    assert connections.unchecked == 4  # writes since the last checkpoint
    await store.get_many(["a", "b"])  # bulk: in the thread
    assert verbs(main) == ["SELECT"]


async def test_a_write_that_finds_the_database_locked_waits_in_the_thread(
    store: SQLiteStore, tmp_path: Path
) -> None:
    _, main, _ = traced(store)
    other = sqlite3.connect(tmp_path / "kv.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another connection's write lock
    ticks = 0
    done = anyio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await anyio.sleep(0.001)

    async def put() -> None:
        await store.put("k", {"v": 1})
        done.set()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(tick)
            group.start_soon(put)
            with anyio.fail_after(30):
                while ticks < 3:  # the loop runs on while the write waits
                    await anyio.sleep(0.001)
            other.execute("COMMIT")
    finally:
        other.close()
    assert await store.get("k") == {"v": 1}
    assert verbs(main) == ["INSERT"]  # run again on the thread's connection


async def test_the_thread_checkpoints_the_wal(store: SQLiteStore) -> None:
    connections, main, inline = traced(store)
    connections.unchecked = _CHECKPOINT_WRITES
    await store.put("k", {"v": 1})
    assert inline == []
    assert verbs(main) == ["INSERT", "PRAGMA"]
    assert connections.unchecked == 0
    await store.put("k", {"v": 2})
    assert verbs(inline) == ["INSERT"]


async def test_memory_database_shares_one_connection() -> None:
    store = SQLiteStore(":memory:")
    try:
        await store.put("k", {"v": 1})
        assert store._engine.handle is not None
        assert store._engine.handle.inline is store._engine.handle.main
        assert await store.get("k") == {"v": 1}
    finally:
        await store.close()
