"""The kv conformance suite against a real Vault dev server (the workflow's service
container), under asyncio and trio: hvac runs in worker threads.

Each test gets a fresh folder (``prefix``) of the ``secret/`` mount, destroyed
afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

import kv
from kv_conformance import StoreConformance
from kv_vault.store import VaultStore

pytestmark = pytest.mark.kv_server


class TestVaultStore(StoreConformance):
    """Every behaviour of a kv store, in a fresh folder of the mount per test."""

    # Three pages of keys() (1,000 a page): every write is one HTTP request, and a
    # listing reads each secret to hide deleted and expired entries.
    enumeration_size = 2_050

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(
        self, vault_url: str, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        prefix = f"kv-conformance-{uuid.uuid4().hex[:12]}"
        store = kv.connect(vault_url, prefix=prefix, default_collection=default_collection)
        assert isinstance(store, VaultStore)
        yield store
        await store.destroy()
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another folder of the same mount."""
        assert isinstance(store, VaultStore)
        return VaultStore(replace(store.options, prefix=f"{store.options.prefix}-sibling"))

    async def store_secrets(self, store: kv.AsyncKeyValue) -> list[str]:
        """The token (from VAULT_TOKEN)."""
        token = os.environ.get("VAULT_TOKEN", "")
        return [token] if token else []
