"""The kv conformance suite against moto's S3 server.

The store is opened by URL, through the entry point, as a user would. The
tests share one bucket (created by ``auto_create`` on first use), each under
a fresh prefix, so that a sibling store under another prefix of the same
bucket proves ``destroy()`` keeps to its own prefix; the store is destroyed
afterwards.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_s3.conformance import HOOKS
from kv_s3.store import S3Store


class TestS3Store(StoreConformance):
    """Every behaviour of a kv store, under a fresh prefix of one bucket per test."""

    # moto's server answers one request at a time (its threads share one
    # interpreter), a few milliseconds each: smaller loads keep the plugin's
    # tests near a minute and a half. The listing still crosses a page of
    # ListObjectsV2 (1,000 names); a batch over DeleteObjects' 1,000 keys is
    # test_s3_plugin.py's 1,200-key round trip.
    enumeration_size = 1050
    large_batch_size = 250
    in_flight = 200
    atomic_updaters = 5
    atomic_increments = 4
    atomic_process_keys = 40

    @pytest.fixture
    async def store(
        self,
        endpoint: str,
        suite_bucket: str,
        credentials: dict[str, Any],
        default_collection: str | None,
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        prefix = f"t-{uuid.uuid4().hex[:16]}"
        store = kv.connect(
            f"s3://{suite_bucket}/{prefix}?endpoint_url={endpoint}",
            default_collection=default_collection,
            **credentials,
        )
        assert isinstance(store, S3Store)
        yield store
        await store.destroy()
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another prefix of the same bucket (the store's own, plus a suffix)."""
        assert isinstance(store, S3Store)
        sibling = f"{store.prefix.rstrip('/')}-sibling"
        return S3Store(dataclasses.replace(store.options, prefix=sibling))

    async def store_secrets(self, store: kv.AsyncKeyValue) -> Sequence[str]:
        assert isinstance(store, S3Store)
        options = store.options
        return [str(options.aws_secret_access_key), str(options.aws_access_key_id)]


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class."""
    assert hooks_for_scheme("s3") is HOOKS
    assert schemes_of_store_type(S3Store) == ("s3",)
