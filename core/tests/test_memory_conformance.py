"""The conformance suite against ``memory://``, under asyncio and trio."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import kv
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance


class TestMemoryStore(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect("memory://", default_collection=default_collection)
        yield store
        await store.close()  # type: ignore[attr-defined]

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        assert isinstance(store, MemoryStore)
        store._collections[collection][key] = '{"not": "closed'
        return True

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another ``memory://`` store: each one owns its own entries in this process."""
        return kv.connect("memory://")


class TestBoundedMemoryStore(StoreConformance):
    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect("memory://?max_entries=500", default_collection=default_collection)
        yield store
        await store.close()  # type: ignore[attr-defined]

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another bounded ``memory://`` store: its entries are its own."""
        return kv.connect("memory://?max_entries=500")
