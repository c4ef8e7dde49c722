"""The kv conformance suite against moto's S3 server.

The store is opened by URL, through the entry point, as a user would. Each
test gets a fresh bucket (created by ``auto_create``), under the prefix
``kv``, so that a sibling store under another prefix of the same bucket
proves ``destroy()`` keeps to its own prefix. The bucket is emptied and
deleted afterwards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_s3.conformance import HOOKS
from kv_s3.store import S3Store


class TestS3Store(StoreConformance):
    """Every behaviour of a kv store, on a fresh bucket per test."""

    # moto answers one request in a few milliseconds: 2,050 keys (three pages
    # of ListObjectsV2) prove there is no silent cap as well as 10,050 would.
    enumeration_size = 2050

    @pytest.fixture
    async def store(
        self,
        endpoint: str,
        bucket: str,
        credentials: dict[str, str],
        default_collection: str | None,
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(
            f"s3://{bucket}/kv?endpoint_url={endpoint}",
            default_collection=default_collection,
            **credentials,
        )
        assert isinstance(store, S3Store)
        yield store
        await store.close()
        cleaner = S3Store(dataclasses.replace(store.options, prefix=""))
        await cleaner.destroy()
        client = await cleaner._clients.get()
        await client.delete_bucket(Bucket=bucket)
        await cleaner.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another prefix of the same bucket."""
        assert isinstance(store, S3Store)
        return S3Store(dataclasses.replace(store.options, prefix="sibling"))

    async def store_secrets(self, store: kv.AsyncKeyValue) -> Sequence[str]:
        assert isinstance(store, S3Store)
        options = store.options
        return [str(options.aws_secret_access_key), str(options.aws_access_key_id)]


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class."""
    assert hooks_for_scheme("s3") is HOOKS
    assert schemes_of_store_type(S3Store) == ("s3",)
