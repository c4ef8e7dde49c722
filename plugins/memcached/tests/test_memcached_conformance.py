"""The kv conformance suite against real memcached servers.

Run twice: on one server (opened by URL, as a user would) and on two servers,
where keys are spread by rendezvous hashing. The servers are emptied with
``flush_all`` after each test: the tests own them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiomcache
import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.servers import ServerProcess
from kv_memcached.keys import memcached_key
from kv_memcached.store import MemcachedStore

TWO_MB = 2 * 1024 * 1024


class TestMemcachedStore(StoreConformance):
    """Every behaviour of a kv store, on one memcached server (``-I 2m``)."""

    @pytest.fixture
    async def store(
        self, memcached_server: ServerProcess, mc: Any
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"{mc.url_of(memcached_server)}?max_item_size={TWO_MB}")
        assert isinstance(store, MemcachedStore)
        yield store
        await store.close()
        mc.flush(memcached_server)

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the item with bytes that are not JSON, with a raw aiomcache client."""
        assert isinstance(store, MemcachedStore)
        host, port = store.addresses[0]
        client = aiomcache.Client(host, port)
        try:
            return await client.set(memcached_key(collection, key), b'\xff{"not": "closed')
        finally:
            await client.close()


class TestMemcachedTwoServers(StoreConformance):
    """Every behaviour of a kv store, with keys spread over two memcached servers."""

    @pytest.fixture
    async def store(
        self, memcached_pair: tuple[ServerProcess, ServerProcess], mc: Any
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = MemcachedStore(
            [f"{server.host}:{server.port}" for server in memcached_pair],
            max_item_size=TWO_MB,
        )
        yield store
        await store.close()
        mc.flush(*memcached_pair)
