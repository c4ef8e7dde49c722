"""The kv conformance suite against a real nats-server with JetStream (2.11 or later).

The store is opened by URL, through the entry point, as a user would. Each
test gets its own bucket, deleted afterwards. nats-py is asyncio-only, so the
suite runs under asyncio (the store declares ``asyncio_only``).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

import nats
import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_nats.conformance import HOOKS
from kv_nats.store import NatsStore


async def delete_bucket(url: str, bucket: str) -> None:
    """Delete a bucket (and its stream) with a plain nats-py client, if it exists."""
    client = await nats.connect(url)
    try:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await client.jetstream().delete_key_value(bucket)
    finally:
        await client.close()


class TestNatsStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh bucket per test."""

    @pytest.fixture
    async def store(
        self, nats_url: str, bucket: str, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"{nats_url}/{bucket}", default_collection=default_collection)
        assert isinstance(store, NatsStore)
        yield store
        await store.close()
        await delete_bucket(nats_url, bucket)
        await delete_bucket(nats_url, f"{bucket}-sibling")

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another bucket on the same server."""
        assert isinstance(store, NatsStore)
        return NatsStore(dataclasses.replace(store.options, bucket=f"{store.bucket}-sibling"))


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class."""
    for scheme in ("nats", "nats+tls"):
        assert hooks_for_scheme(scheme) is HOOKS
    assert set(schemes_of_store_type(NatsStore)) == {"nats", "nats+tls"}
