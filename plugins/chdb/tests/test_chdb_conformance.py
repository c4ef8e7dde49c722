"""The kv conformance suite against ``chdb://``, under asyncio and trio.

The store is opened by URL, through the ``kv.stores`` entry point, on a fresh
directory per test. chDB runs one embedded ClickHouse per process on one
path, so each test closes its store (and any raw session) before the next.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from chdb.session import Session

import kv
from kv_chdb.sql import json_rows
from kv_chdb.store import ChDBStore
from kv_conformance import StoreConformance


class TestChDBStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh directory per test."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"chdb://{tmp_path}/db")
        assert isinstance(store, ChDBStore)
        yield store
        await store.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Insert a newer row whose document is not JSON, over a raw chDB session."""
        assert isinstance(store, ChDBStore)
        raw = Session(store.path)  # the same embedded server as the store's
        try:
            found = raw.query(
                f'SELECT count() FROM "{store.table}" FINAL'
                " WHERE collection = {c:String} AND key = {k:String}",
                "CSV",
                params={"c": collection, "k": key},
            )
            if found.bytes().strip() != b"1":
                return False
            row = {"collection": collection, "key": key, "document": '{"not": "closed'}
            raw.query(
                f'INSERT INTO "{store.table}" (collection, key, document, expires_at, version)'
                " FORMAT JSONEachRow\n"
                + json_rows([{**row, "expires_at": None, "version": time.time_ns()}])
            )
            return True
        finally:
            raw.close()

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same directory."""
        assert isinstance(store, ChDBStore)
        return kv.connect(f"chdb://{store.path}")
