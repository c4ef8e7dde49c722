"""What is special about kv-opensearch: options, layout, names, bulk calls, expiry,
py-key-value's OpenSearchStore, faults (the checks are kv-search's, shared with
kv-elasticsearch)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from key_value.aio.stores.opensearch import OpenSearchStore as PyKVOpenSearchStore

from kv_opensearch.conformance import HOOKS
from kv_opensearch.store import OpenSearchStore

checks = sys.modules["kv_search_tests_search_checks"]

pytestmark = pytest.mark.kv_server


class TestOpenSearchPlugin(checks.SearchPluginChecks):  # type: ignore[misc, name-defined]
    scheme = "opensearch"
    store_type = OpenSearchStore
    hooks = HOOKS
    value_field = "flat"
    client_modules = ("opensearchpy", "aiohttp")

    @pytest.fixture
    def pykv(self, search_server: Any) -> Callable[[str], AbstractAsyncContextManager[Any]]:
        """py-key-value's OpenSearchStore on the session's server."""

        @asynccontextmanager
        async def open_store(prefix: str) -> AsyncIterator[Any]:
            store = PyKVOpenSearchStore(url=search_server.http, index_prefix=prefix)
            try:
                yield store
            finally:
                await store.close()

        return open_store
