"""The kv conformance suite against a real nats-server with JetStream (2.11 or later).

The store is opened by URL, through the entry point, as a user would. Each
test gets its own bucket, deleted afterwards. nats-py is asyncio-only, so the
suite runs under asyncio (the store declares ``asyncio_only``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_nats.conformance import HOOKS
from kv_nats.store import NatsStore

pytestmark = pytest.mark.kv_server


class TestNatsStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh bucket per test."""

    @pytest.fixture
    async def store(
        self,
        nats_url: str,
        bucket: str,
        doomed_buckets: list[str],
        default_collection: str | None,
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        doomed_buckets.extend([bucket, f"{bucket}-sibling"])
        store = kv.connect(f"{nats_url}/{bucket}", default_collection=default_collection)
        assert isinstance(store, NatsStore)
        yield store
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another bucket on the same server."""
        assert isinstance(store, NatsStore)
        return NatsStore(dataclasses.replace(store.options, bucket=f"{store.bucket}-sibling"))


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class."""
    for scheme in ("nats", "nats+tls"):
        assert hooks_for_scheme(scheme) is HOOKS
    assert set(schemes_of_store_type(NatsStore)) == {"nats", "nats+tls"}
