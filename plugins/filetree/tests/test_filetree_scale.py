"""Two real processes on one ``file://`` folder, and 50 000 expiring files.

Each writer process runs its own event loop and store; both write 1 000
entries at the same time (culling concurrently, which removes emptied
folders), and all 2 000 must be there afterwards. Then 50 000 entries with a
1 s TTL are written with ``put_many`` and, after expiry, one ``cull()``
leaves no file and no collection folder.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import pytest

import kv
from kv_conformance.processes import run_together
from kv_filetree import fs
from kv_filetree.store import FileTreeStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def count_files(directory: Path) -> int:
    return sum(1 for path in directory.rglob("*") if path.is_file())


@pytest.mark.timeout(120)
async def test_two_processes_lose_no_writes(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/shared"
    run_together(url, ["one", "two"], 1000, cull_every=50)
    store = kv.connect(url)
    try:
        keys = await store.keys("shared")  # type: ignore[attr-defined]
        assert len(keys) == 2000
        values = await store.get_many(keys, collection="shared")
        expected = [{"writer": key.split("-")[0], "i": int(key.split("-")[1])} for key in keys]
        assert values == expected
        await anyio.sleep(0.05)
        await store.cull()  # type: ignore[attr-defined]
        assert count_files(tmp_path / "shared") == 2000
    finally:
        await store.close()


@pytest.mark.timeout(60)
async def test_fifty_thousand_expired_files_are_culled(tmp_path: Path) -> None:
    # Without fsync: this test is about reclaiming files, not durability.
    store = kv.connect(f"file://{tmp_path}?sweep_interval=none&fsync=false")
    keys = [f"key-{i:05d}" for i in range(50_000)]
    values = [{"i": i} for i in range(len(keys))]
    for start in range(0, len(keys), 5000):
        await store.put_many(
            keys[start : start + 5000], values[start : start + 5000], collection="c", ttl=1
        )
    last_write = time.time()
    assert count_files(tmp_path) == 50_000
    await anyio.sleep(max(0.0, last_write + 1.05 - time.time()))
    assert await store.get("key-49999", collection="c") is None
    assert await store.cull() == 50_000  # type: ignore[attr-defined]
    assert count_files(tmp_path) == 0
    assert list(tmp_path.iterdir()) == []  # the emptied collection folder is gone too
    await store.close()


class CountingOS:
    """``os`` as :mod:`kv_filetree.fs` sees it, counting the file-system calls that cost."""

    COUNTED = frozenset({"open", "scandir", "listdir", "rename", "fsync", "stat", "unlink"})

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name not in self.COUNTED:
            return real

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return real(*args, **kwargs)

        return counted


async def test_cost_per_entry_does_not_grow_with_the_batch_or_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing or reading N entries opens N files plus two folders, and lists nothing.

    Counted, not timed: a write that listed the folder, or a read that opened
    more than its own file, would grow with the collection; and
    ``put_many`` of 200 000 entries once took 8.6 times as long as 50 000.
    """
    store = FileTreeStore(tmp_path / "tree", sweep_interval=None)
    try:
        await store.put_many(
            [f"old-{i}" for i in range(3000)], [{"i": i} for i in range(3000)], collection="c"
        )
        counting = CountingOS()
        monkeypatch.setattr(fs, "os", counting)
        for size in (1, 10, 1000):
            keys = [f"new-{size}-{i}" for i in range(size)]
            counting.calls.clear()
            await store.put_many(keys, [{"i": i} for i in range(size)], collection="c")
            assert counting.calls == {"open": size + 2, "fsync": size, "rename": size}
            counting.calls.clear()
            assert await store.get_many(keys, collection="c") == [{"i": i} for i in range(size)]
            assert counting.calls == {"open": size + 2}
        counting.calls.clear()
        await store.put("one", {"v": 1}, collection="c")
        assert counting.calls == {"open": 3, "fsync": 1, "rename": 1}
    finally:
        await store.close()
