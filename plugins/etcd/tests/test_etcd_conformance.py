"""The kv conformance suite against a real etcd server.

The store is opened by URL, through the entry point, as a user would; each
test gets a fresh key prefix on the session's server. aetcd is built on
grpc.aio, an asyncio library, so the suite runs under asyncio (the
capabilities say ``asyncio_only``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_etcd.conformance import HOOKS
from kv_etcd.store import EtcdStore

pytestmark = pytest.mark.kv_server


class TestEtcdStore(StoreConformance):
    """Every behaviour of a kv store, under a fresh prefix per test."""

    @pytest.fixture
    async def store(
        self, store_url: str, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(store_url, default_collection=default_collection)
        assert isinstance(store, EtcdStore)
        yield store
        await store.destroy()
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another prefix on the same server."""
        assert isinstance(store, EtcdStore)
        return EtcdStore(replace(store.options, prefix=f"{store.options.prefix}-sibling"))


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class."""
    assert hooks_for_scheme("etcd") is HOOKS
    assert schemes_of_store_type(EtcdStore) == ("etcd",)
