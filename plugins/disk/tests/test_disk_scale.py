"""Two real processes on one ``disk://`` directory, and 50 000 expiring rows.

Each writer process runs its own event loop and store; both write 1 000
entries at the same time (and cull concurrently), and all 2 000 must be
there afterwards. Then 50 000 entries with a 1 s TTL are written with
``put_many`` and, after expiry, one ``cull()`` leaves no row in the file.
"""

from __future__ import annotations

import sqlite3
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


def count_rows(directory: Path) -> int:
    total = 0
    for database in directory.rglob("cache.db"):
        raw = sqlite3.connect(database)
        try:
            total += raw.execute("SELECT count(*) FROM Cache").fetchone()[0]
        finally:
            raw.close()
    return total


@pytest.mark.timeout(120)
@pytest.mark.parametrize("layout", ["single", "per-collection"])
async def test_two_processes_lose_no_writes(tmp_path: Path, layout: str) -> None:
    url = f"disk://{tmp_path}/shared?layout={layout}"
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
        assert count_rows(tmp_path / "shared") == 2000
    finally:
        await store.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("layout", ["single", "per-collection"])
async def test_fifty_thousand_expired_rows_are_culled(tmp_path: Path, layout: str) -> None:
    store = kv.connect(f"disk://{tmp_path}?layout={layout}&sweep_interval=none")
    keys = [f"key-{i:05d}" for i in range(50_000)]
    values = [{"i": i} for i in range(len(keys))]
    for start in range(0, len(keys), 5000):
        await store.put_many(
            keys[start : start + 5000], values[start : start + 5000], collection="c", ttl=1
        )
    last_write = time.time()
    assert count_rows(tmp_path) == 50_000
    await anyio.sleep(max(0.0, last_write + 1.05 - time.time()))
    assert await store.get("key-49999", collection="c") is None
    assert await store.cull() == 50_000  # type: ignore[attr-defined]
    assert count_rows(tmp_path) == 0
    await store.close()
