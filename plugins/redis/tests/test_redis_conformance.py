"""The kv conformance suite against real Redis: standalone, over TLS, and a cluster.

Each store is opened by URL, through the ``kv.stores`` entry points of the
installed kv-redis distribution, exactly as a user would open it. The
standalone run uses py-key-value's layout (no namespace) on database 1 and
destroys it around every test; the TLS and cluster runs give every test its
own namespace.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

import kv
from kv_conformance import StoreConformance
from kv_redis.store import RedisStore

pytestmark = pytest.mark.kv_server


class _RedisConformance(StoreConformance):
    """Shared hooks of the three runs."""

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's document with text that is not JSON, with the store's client."""
        assert isinstance(store, RedisStore)
        await store.setup()
        await store.client.set(store.layout.key(collection, key), b'{"not": "closed')
        return True

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same server, database and namespace."""
        assert isinstance(store, RedisStore)
        return kv.connect(self.url, namespace=store.layout.namespace)

    url: str = ""


class TestRedisStandalone(_RedisConformance):
    """py-key-value's layout (no namespace) on database 1 of one redis-server."""

    @pytest.fixture
    async def store(self, redis_server: object) -> AsyncIterator[kv.AsyncKeyValue]:
        self.url = f"redis://127.0.0.1:{redis_server.port}/1"  # type: ignore[attr-defined]
        store = kv.connect(self.url)
        assert isinstance(store, RedisStore)
        await store.destroy()
        yield store
        await store.destroy()
        await store.close()


class TestRedisTLS(_RedisConformance):
    """A namespace per test on a redis-server that speaks only TLS."""

    @pytest.fixture
    async def store(self, redis_tls_url: str) -> AsyncIterator[kv.AsyncKeyValue]:
        self.url = redis_tls_url
        store = kv.connect(redis_tls_url, namespace=f"t-{uuid.uuid4().hex}")
        assert isinstance(store, RedisStore)
        assert store.target is not None
        assert store.target.tls
        yield store
        await store.destroy()
        await store.close()


class TestRedisCluster(_RedisConformance):
    """A namespace per test on a 3-master Redis Cluster."""

    @pytest.fixture
    async def store(self, redis_cluster_url: str) -> AsyncIterator[kv.AsyncKeyValue]:
        self.url = redis_cluster_url
        store = kv.connect(redis_cluster_url, namespace=f"c-{uuid.uuid4().hex}")
        assert isinstance(store, RedisStore)
        yield store
        await store.destroy()
        await store.close()
