"""The kv conformance suite against real valkey-server 9: standalone and a cluster.

Each store is opened by URL, through the ``kv.stores`` entry points of the
installed kv-valkey distribution. The standalone run uses py-key-value's
layout (no namespace) on database 1 and destroys it around every test; the
cluster run gives every test its own namespace.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import fields

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_valkey.conformance import HOOKS
from kv_valkey.store import ValkeyStore

pytestmark = pytest.mark.kv_server


class TestValkeyStandalone(StoreConformance):
    """py-key-value's layout (no namespace) on database 1 of one valkey-server."""

    @pytest.fixture
    async def store(
        self, kv_valkey_server: object, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(
            f"valkey://127.0.0.1:{kv_valkey_server.port}/1",  # type: ignore[attr-defined]
            default_collection=default_collection,
        )
        assert isinstance(store, ValkeyStore)
        await store.destroy()
        yield store
        await store.destroy()
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """The same database of the same server, with a namespace (the store has none)."""
        return _sibling_of(store)


class TestValkeyCluster(StoreConformance):
    """A namespace per test on a 3-master Valkey cluster."""

    @pytest.fixture
    async def store(
        self, kv_valkey_cluster_url: str, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(
            kv_valkey_cluster_url,
            namespace=f"c-{uuid.uuid4().hex}",
            default_collection=default_collection,
        )
        assert isinstance(store, ValkeyStore)
        yield store
        await store.destroy()
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """The same cluster, in another namespace."""
        return _sibling_of(store)


def _sibling_of(store: kv.AsyncKeyValue) -> ValkeyStore:
    """A store on the same server or cluster, with the same options, in another namespace.

    The namespace starts like the store's own one (when it has one), so a
    pattern that forgot the ``:`` after the namespace would also match it.
    """
    assert isinstance(store, ValkeyStore)
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
    return ValkeyStore(f"{scheme}://{','.join(str(host) for host in target.hosts)}", **options)


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    for scheme in ("valkey", "valkeys", "valkey+cluster"):
        assert hooks_for_scheme(scheme) is HOOKS
    assert set(schemes_of_store_type(ValkeyStore)) == {"valkey", "valkeys", "valkey+cluster"}
