"""duckdb:// lists a whole collection in one query (``listing_page_size``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

import kv
from kv_duckdb.store import DuckDBStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_full_listing_is_one_query_and_a_limited_one_is_sized_to_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = kv.connect(f"duckdb://{tmp_path}/kv.duckdb", sweep_interval=None)
    assert isinstance(store, DuckDBStore)
    keys = [f"k{number:05d}" for number in range(2500)]
    await store.put_many(keys, [{"v": 1}] * len(keys), collection="c")
    asked: list[int] = []
    page = DuckDBStore._key_page

    async def counted(
        self: DuckDBStore, collection: str, after: str | None, limit: int
    ) -> Sequence[str]:
        asked.append(limit)
        return await page(self, collection, after, limit)

    monkeypatch.setattr(DuckDBStore, "_key_page", counted)
    assert await store.keys("c") == keys
    assert asked == [DuckDBStore.listing_page_size]
    asked.clear()
    assert await store.keys("c", limit=10) == keys[:10]
    assert asked == [10]
    asked.clear()
    assert [key async for key in store.iter_keys("c", page_size=1000)] == keys
    assert asked == [1000, 1000, 1000]
    await store.close()
