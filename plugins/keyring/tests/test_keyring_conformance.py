"""The kv conformance suite against ``keyring://``, on a real file keyring.

The backend is keyrings.alt's ``PlaintextKeyring`` in a temporary folder (see
``conftest.py``). It rewrites its whole INI file on every write, which makes
10 000 entries take minutes, so the no-silent-cap enumeration test writes
1 100 keys: still more than one page of 1 000.

``TestChunkedKeyringStore`` runs the suite again with Windows Credential
Manager's limit of 1 280 characters per entry, so every value longer than
that is split across entries and read back whole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import keyring
import keyring.core
import pytest
from keyrings.alt.file import PlaintextKeyring

import kv
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_keyring.conformance import HOOKS
from kv_keyring.store import WINDOWS_MAX_VALUE_CHARS, KeyringStore

SERVICE = "kv-conformance"


class TestKeyringStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh keyring file per test."""

    enumeration_size = 1_100
    large_batch_size = 600
    # The keyrings.alt file backend rewrites its whole file on every call, so
    # a call costs time proportional to the entries stored; 100 in flight
    # checks the same locking without minutes of file rewrites.
    in_flight = 100

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(
        self, backend: PlaintextKeyring, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(
            f"keyring://{SERVICE}", backend=backend, default_collection=default_collection
        )
        assert isinstance(store, KeyringStore)
        yield store
        await store.close()

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another service (name starting the same) on the same backend object and lock.

        The backend and lock path are the store's own options, copied as
        reopening with ``store.options`` does.
        """
        assert isinstance(store, KeyringStore)
        return KeyringStore(
            f"{store.options.service}-sibling",
            backend=store._backend_option,
            max_value_chars=store.max_value_chars,
            max_chunks=store.options.max_chunks,
            lock_path=store._lock_option,
            lock_timeout=store.options.lock_timeout,
            legacy_names=store.options.legacy_names,
        )

    @pytest.mark.timeout(600)
    async def test_two_processes_claim_each_key_exactly_once(
        self, store: kv.AsyncKeyValue, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The suite's test, on a keyring that both processes find by configuration.

        A backend object cannot cross to another process, so here neither
        store is given one: both take keyrings.alt's ``PlaintextKeyring``
        from ``PYTHON_KEYRING_BACKEND``, its file (and the lock beside it) in
        the test's own ``XDG_DATA_HOME``.
        """
        assert isinstance(store, KeyringStore)
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
        previous = keyring.core._keyring_backend
        keyring.set_keyring(PlaintextKeyring())  # what the other process's keyring finds
        shared = KeyringStore(dataclasses.replace(store.options, backend=None))
        try:
            await super().test_two_processes_claim_each_key_exactly_once(shared)
        finally:
            await shared.close()
            keyring.core._keyring_backend = previous

    @pytest.mark.timeout(600)
    async def test_keys_has_no_silent_cap(self, store: kv.AsyncKeyValue) -> None:
        """The suite's test, with time for a slow backend on a busy machine."""
        await super().test_keys_has_no_silent_cap(store)


class TestChunkedKeyringStore(TestKeyringStore):
    """The suite with at most 1 280 characters per keyring entry (Windows' limit)."""

    enumeration_size = 1_050

    @pytest.fixture
    def anyio_backend(self) -> str:
        """asyncio only: the chunking does not depend on the event loop."""
        return "asyncio"

    @pytest.fixture
    async def store(
        self, backend: PlaintextKeyring, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(
            f"keyring://{SERVICE}?max_value_chars={WINDOWS_MAX_VALUE_CHARS}",
            backend=backend,
            default_collection=default_collection,
        )
        assert isinstance(store, KeyringStore)
        assert store.capabilities.max_value_size is not None
        yield store
        await store.close()


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    assert hooks_for_scheme("keyring") is HOOKS
    assert schemes_of_store_type(KeyringStore) == ("keyring",)
