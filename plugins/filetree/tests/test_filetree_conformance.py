"""The kv conformance suite against ``file://``, under asyncio and trio.

Under asyncio the store writes durably (``fsync``, the default); under trio
it runs with ``fsync=false``, so both write paths pass the whole suite.

The store is opened by URL, through the ``kv.stores`` entry point of the
installed kv-filetree distribution, exactly as a user would open it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import kv
from kv.names import encode_path_segment
from kv_conformance import StoreConformance
from kv_filetree.store import FileTreeStore


class TestFileTreeStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh folder per test."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, tmp_path: Path, anyio_backend: str) -> AsyncIterator[kv.AsyncKeyValue]:
        # Durable writes (the default) under asyncio; without fsync under trio.
        query = "" if anyio_backend == "asyncio" else "?fsync=false"
        store = kv.connect(f"file://{tmp_path}/tree{query}")
        assert isinstance(store, FileTreeStore)
        yield store
        await store.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's file with text that is not JSON."""
        assert isinstance(store, FileTreeStore)
        path = Path(store.directory) / encode_path_segment(collection)
        path = path / f"{encode_path_segment(key)}.json"
        if not path.is_file():
            return False
        path.write_text('{"not": "closed')
        return True

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same folder."""
        assert isinstance(store, FileTreeStore)
        return kv.connect(f"file://{store.directory}")
