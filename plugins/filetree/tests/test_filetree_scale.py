"""Two real processes on one ``file://`` folder, and 50 000 expiring files.

Each writer process runs its own event loop and store; both write 1 000
entries at the same time (culling concurrently, which removes emptied
folders), and all 2 000 must be there afterwards. Then 50 000 entries with a
1 s TTL are written with ``put_many`` and, after expiry, one ``cull()``
leaves no file and no collection folder.
"""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest

import kv
from kv_conformance.processes import run_together

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
