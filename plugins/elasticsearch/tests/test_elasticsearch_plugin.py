"""What is special about kv-elasticsearch: options, layout, names, bulk calls, expiry,
py-key-value's ElasticsearchStore, faults (the checks are kv-search's, shared with
kv-opensearch)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch
from key_value.aio.stores.elasticsearch import ElasticsearchStore as PyKVElasticsearchStore

from kv_elasticsearch.conformance import HOOKS
from kv_elasticsearch.store import ElasticsearchStore

checks = sys.modules["kv_search_tests_search_checks"]

pytestmark = pytest.mark.kv_server


class TestElasticsearchPlugin(checks.SearchPluginChecks):  # type: ignore[misc, name-defined]
    scheme = "elasticsearch"
    store_type = ElasticsearchStore
    hooks = HOOKS
    value_field = "flattened"
    client_modules = ("elasticsearch", "elastic_transport", "aiohttp")

    def kv_creates_index(self, search_server: Any) -> bool:
        """On osmem-server kv creates the index: the emulator has no ``flattened`` type
        for py-key-value's own mapping (a real Elasticsearch has)."""
        return search_server.process is not None

    @pytest.fixture
    def pykv(self, search_server: Any) -> Callable[[str], AbstractAsyncContextManager[Any]]:
        """py-key-value's ElasticsearchStore on the session's server (osmem-server refuses
        the client's Elasticsearch 9 media types; its serverless mode sends plain JSON)."""

        @asynccontextmanager
        async def open_store(prefix: str) -> AsyncIterator[Any]:
            mode = "stack" if search_server.process is None else "serverless"
            client = AsyncElasticsearch(search_server.http, server_mode=mode)
            try:
                yield PyKVElasticsearchStore(elasticsearch_client=client, index_prefix=prefix)
            finally:
                await client.close()

        return open_store
