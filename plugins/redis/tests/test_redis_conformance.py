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
from dataclasses import fields

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_redis.conformance import HOOKS
from kv_redis.store import RedisStore

pytestmark = pytest.mark.kv_server


class TestRedisStandalone(StoreConformance):
    """py-key-value's layout (no namespace) on database 1 of one redis-server."""

    @pytest.fixture
    async def store(
        self, redis_server: object, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(
            f"redis://127.0.0.1:{redis_server.port}/1",  # type: ignore[attr-defined]
            default_collection=default_collection,
        )
        assert isinstance(store, RedisStore)
        await store.destroy()
        yield store
        await store.destroy()
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """The same database of the same server, with a namespace (the store has none)."""
        return _sibling_of(store)


class TestRedisTLS(StoreConformance):
    """A namespace per test on a redis-server that speaks only TLS."""

    @pytest.fixture
    async def store(
        self, redis_tls_url: str, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(
            redis_tls_url,
            namespace=f"t-{uuid.uuid4().hex}",
            default_collection=default_collection,
        )
        assert isinstance(store, RedisStore)
        assert store.target is not None
        assert store.target.tls
        yield store
        await store.destroy()
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """The same TLS server and database, in another namespace."""
        return _sibling_of(store)


class TestRedisCluster(StoreConformance):
    """A namespace per test on a 3-master Redis Cluster."""

    @pytest.fixture
    async def store(
        self, redis_cluster_url: str, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(
            redis_cluster_url,
            namespace=f"c-{uuid.uuid4().hex}",
            default_collection=default_collection,
        )
        assert isinstance(store, RedisStore)
        yield store
        await store.destroy()
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """The same cluster, in another namespace."""
        return _sibling_of(store)


def _sibling_of(store: kv.AsyncKeyValue) -> RedisStore:
    """A store on the same server or cluster, with the same options, in another namespace.

    The namespace starts like the store's own one (when it has one), so a
    pattern that forgot the ``:`` after the namespace would also match it.
    """
    assert isinstance(store, RedisStore)
    target = store.target
    assert target is not None
    options = {
        field.name: getattr(store.options, field.name)
        for field in fields(store.options)
        if field.name not in ("client", "default_collection")
    }
    own = store.layout.namespace
    options.update(
        namespace=f"{own}-sibling" if own is not None else f"sibling-{uuid.uuid4().hex}",
        ssl=target.tls,
        db=target.db,
    )
    scheme = store.schemes.cluster if target.cluster else store.schemes.plain
    return RedisStore(f"{scheme}://{','.join(str(host) for host in target.hosts)}", **options)


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    for scheme in ("redis", "rediss", "redis+unix", "redis+cluster"):
        assert hooks_for_scheme(scheme) is HOOKS
    assert set(schemes_of_store_type(RedisStore)) == {
        "redis",
        "rediss",
        "redis+unix",
        "redis+cluster",
    }
