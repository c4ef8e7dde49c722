"""The kv conformance suite against Google's Firestore emulator.

The store is opened by URL, through the entry point, as a user would; each
test gets its own root collection. The suite runs under asyncio only: the
store declares ``asyncio_only`` (grpc.aio).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_conformance.servers import ServerProcess
from kv_firestore.conformance import HOOKS
from kv_firestore.store import FirestoreStore

PROJECT = "demo-test"


class TestFirestoreStore(StoreConformance):
    """Every behaviour of a kv store, under a fresh root collection per test."""

    # The emulator writes about 1,000 documents a second: 2,500 keys still list in
    # three pages of listing_page_size (1,000), in a quarter of the time.
    enumeration_size = 2_500

    @pytest.fixture
    async def store(
        self,
        firestore_emulator: ServerProcess,
        grpc_events_of_closed_loops: None,
        root: str,
        default_collection: str | None,
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"firestore://{PROJECT}/{root}", default_collection=default_collection)
        assert isinstance(store, FirestoreStore)
        yield store
        # No destroy(): the root is this test's own, and the in-memory emulator is
        # thrown away with the session (deleting 2,500 documents costs seconds).
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another root collection in the same database."""
        assert isinstance(store, FirestoreStore)
        return FirestoreStore(project=PROJECT, root=f"{store.options.root}-sibling")


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class."""
    assert hooks_for_scheme("firestore") is HOOKS
    assert schemes_of_store_type(FirestoreStore) == ("firestore",)
