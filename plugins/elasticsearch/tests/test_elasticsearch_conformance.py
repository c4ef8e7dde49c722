"""The shared conformance suite against kv-elasticsearch (on osmem-server here)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

import kv
from kv_conformance import StoreConformance
from kv_elasticsearch.store import ElasticsearchStore
from kv_search.layout import document_id

servers = sys.modules["kv_search_tests_search_servers"]

pytestmark = pytest.mark.kv_server


class TestElasticsearchStore(StoreConformance):
    """Every behaviour of a kv store, on fresh indices (a new prefix) per test."""

    @pytest.fixture
    async def store(
        self, search_server: Any, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        url = search_server.url(password=servers.PASSWORD)
        store = kv.connect(url, default_collection=default_collection)
        assert isinstance(store, ElasticsearchStore)
        yield store
        await store.destroy()
        await store.close()

    async def store_secrets(self, store: kv.AsyncKeyValue) -> Sequence[str]:
        """The password of the store's URL."""
        return [servers.PASSWORD]

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another index prefix on the same server."""
        assert isinstance(store, ElasticsearchStore)
        options = dataclasses.replace(store.options, index_prefix=f"{store.index_prefix}.sibling")
        return ElasticsearchStore(options)


def test_long_keys_get_hashed_ids() -> None:
    assert document_id("k" * 600).startswith("~")
    assert document_id("~x") == "~~x"
