"""file:// point calls: a read, an unsynced write and a delete run inline on the event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from kv.blocking import running_inline
from kv_filetree.store import FileTreeStore
from kv_filetree.tree import FileTree

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def where(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Records each engine call of every tree and whether it ran inline."""
    calls: list[tuple[str, bool]] = []
    for name in ("fetch", "put", "delete", "put_if_absent"):
        real: Callable[..., Any] = getattr(FileTree, name)

        def recording(tree: FileTree, *args: Any, _real: Any = real, _name: str = name) -> Any:
            calls.append((_name, running_inline()))
            return _real(tree, *args)

        monkeypatch.setattr(FileTree, name, recording)
    return calls


@pytest.fixture(params=[True, False], ids=["fsync", "no-fsync"])
async def store(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[FileTreeStore]:
    # A budget no call overruns, even on a busy machine: these tests check where
    # calls run, not how long they take.
    store = FileTreeStore(
        tmp_path / "tree", fsync=request.param, sweep_interval=None, inline_budget=60
    )
    try:
        yield store
    finally:
        await store.close()


async def test_point_calls_run_inline(store: FileTreeStore, where: list[tuple[str, bool]]) -> None:
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    assert await store.delete("k") is True
    assert await store.delete("k") is False
    synced = store.options.fsync
    assert where == [
        ("put", not synced),  # a synced write waits for the disk: in the thread
        ("fetch", True),
        ("delete", True),
        ("delete", True),
    ]


async def test_a_delete_that_may_wait_for_the_lock_runs_in_the_thread(
    store: FileTreeStore, where: list[tuple[str, bool]]
) -> None:
    assert await store.put_if_absent("k", {"v": 1}) is True  # makes the lock file
    assert await store.delete("k") is True
    assert await store.get("k") is None
    assert where == [("put_if_absent", False), ("delete", False), ("fetch", True)]


async def test_no_budget_runs_every_call_in_the_thread(
    tmp_path: Path, where: list[tuple[str, bool]]
) -> None:
    store = FileTreeStore(tmp_path / "tree", fsync=False, inline_budget=None)
    try:
        await store.put("k", {"v": 1})
        assert await store.get("k") == {"v": 1}
        assert await store.delete("k") is True
    finally:
        await store.close()
    assert [inline for _, inline in where] == [False, False, False]
