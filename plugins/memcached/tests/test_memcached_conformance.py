"""The kv conformance suite against real memcached servers.

Run on one server (opened by URL, as a user would) and on two servers, where
keys are spread by rendezvous hashing; both under asyncio and under trio. The servers are emptied with
``flush_all`` after each test: the tests own them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_conformance.servers import ServerProcess
from kv_memcached.conformance import HOOKS
from kv_memcached.store import MemcachedStore

TWO_MB = 2 * 1024 * 1024


class TestMemcachedStore(StoreConformance):
    """Every behaviour of a kv store, on one memcached server (``-I 2m``)."""

    shared_between_processes = True  # not persistent, but one server for every process

    @pytest.fixture
    async def store(
        self, memcached_server: ServerProcess, mc: Any, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(
            f"{mc.url_of(memcached_server)}?max_item_size={TWO_MB}",
            default_collection=default_collection,
        )
        assert isinstance(store, MemcachedStore)
        yield store
        await store.close()
        mc.flush(memcached_server)


class TestMemcachedTwoServers(StoreConformance):
    """Every behaviour of a kv store, with keys spread over two memcached servers."""

    shared_between_processes = True

    @pytest.fixture
    async def store(
        self,
        memcached_pair: tuple[ServerProcess, ServerProcess],
        mc: Any,
        default_collection: str | None,
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = MemcachedStore(
            [f"{server.host}:{server.port}" for server in memcached_pair],
            max_item_size=TWO_MB,
            default_collection=default_collection,
        )
        yield store
        await store.close()
        mc.flush(*memcached_pair)


class TestMemcachedStoreTrio(TestMemcachedStore):
    """The suite on one server, under trio."""

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "trio"


class TestMemcachedTwoServersTrio(TestMemcachedTwoServers):
    """The suite on two servers (bulk calls to both at once), under trio."""

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "trio"


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    assert hooks_for_scheme("memcached") is HOOKS
    assert schemes_of_store_type(MemcachedStore) == ("memcached",)
