"""The kv conformance suite against a real Aerospike server (the GitHub workflow's
service container), under asyncio and trio: the client blocks and runs in
worker threads, so any event loop works.

Each test gets an empty set from the session's pool (see ``conftest.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

import kv
from kv_aerospike.store import AerospikeStore
from kv_conformance import StoreConformance


class TestAerospikeStore(StoreConformance):
    """Every behaviour of a kv store, on an empty set per test."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(
        self, aerospike_url: str, set_pool: Any, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        url = f"{aerospike_url}/{set_pool.take()}"
        store = kv.connect(url, default_collection=default_collection)
        assert isinstance(store, AerospikeStore)
        yield store
        await set_pool.give_back(store)

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another set of the same namespace."""
        assert isinstance(store, AerospikeStore)
        return AerospikeStore(replace(store.options, set_name=f"{store.set_name}-sibling"))
