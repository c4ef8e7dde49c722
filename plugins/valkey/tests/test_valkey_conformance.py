"""The kv conformance suite against real valkey-server 9: standalone and a cluster.

Each store is opened by URL, through the ``kv.stores`` entry points of the
installed kv-valkey distribution. The standalone run uses py-key-value's
layout (no namespace) on database 1 and destroys it around every test; the
cluster run gives every test its own namespace.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

import kv
from kv_conformance import StoreConformance
from kv_valkey.store import ValkeyStore

pytestmark = pytest.mark.kv_server


class _ValkeyConformance(StoreConformance):
    """Shared hooks of the two runs."""

    url: str = ""

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's document with text that is not JSON, with the store's client."""
        assert isinstance(store, ValkeyStore)
        await store.setup()
        await store.client.set(store.layout.key(collection, key), b'{"not": "closed')
        return True

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same server, database and namespace."""
        assert isinstance(store, ValkeyStore)
        return kv.connect(self.url, namespace=store.layout.namespace)


class TestValkeyStandalone(_ValkeyConformance):
    """py-key-value's layout (no namespace) on database 1 of one valkey-server."""

    @pytest.fixture
    async def store(self, kv_valkey_server: object) -> AsyncIterator[kv.AsyncKeyValue]:
        self.url = f"valkey://127.0.0.1:{kv_valkey_server.port}/1"  # type: ignore[attr-defined]
        store = kv.connect(self.url)
        assert isinstance(store, ValkeyStore)
        await store.destroy()
        yield store
        await store.destroy()
        await store.close()


class TestValkeyCluster(_ValkeyConformance):
    """A namespace per test on a 3-master Valkey cluster."""

    @pytest.fixture
    async def store(self, kv_valkey_cluster_url: str) -> AsyncIterator[kv.AsyncKeyValue]:
        self.url = kv_valkey_cluster_url
        store = kv.connect(kv_valkey_cluster_url, namespace=f"c-{uuid.uuid4().hex}")
        assert isinstance(store, ValkeyStore)
        yield store
        await store.destroy()
        await store.close()
