"""What only the Vault store does, on a real Vault dev server: py-key-value's layout
in both directions, the secrets behind the store's back (names, tombstones,
cull), mounts (created, refused), and the server stopped and started again.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.to_thread
import pytest
from key_value.aio.stores.vault import VaultStore as PyKVVaultStore

import kv
from kv.errors import StoreConnectionError, StoreError, StoreSetupError
from kv_conformance.support import eventually
from kv_vault.client import VaultCalls, make_client
from kv_vault.names import secret_name
from kv_vault.secrets import TOMBSTONE
from kv_vault.store import VaultStore

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.kv_server,
    pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning"),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def unique(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:12]}"


def address(store: VaultStore) -> str:
    options = store.options
    return f"{'https' if options.tls else 'http'}://{options.hosts[0]}:{options.port[0]}"


@pytest.fixture
async def store(vault_url: str) -> AsyncIterator[VaultStore]:
    """A store in a fresh folder of the mount."""
    store = kv.connect(vault_url, prefix=unique("kv-service"))
    assert isinstance(store, VaultStore)
    yield store
    await store.destroy()
    await store.close()


@pytest.fixture
def raw(vault_url: str) -> Iterator[VaultCalls]:
    """hvac requests of the mount, behind the store's back."""
    options = VaultStore(vault_url).options
    calls = VaultCalls(make_client(options), options.mount)
    yield calls
    calls.close()


# --- py-key-value's VaultStore --------------------------------------------------------

VALUES: dict[str, dict[str, Any]] = {
    "alice": {"name": "Alice", "age": 30, "tags": ["a", "b"], "nested": {"ok": True}},
    "user:42": {"text": "héllo wörld ✓", "n": None, "f": 1.5},
    "a@b.example": {"v": 1},
}


@pytest.fixture
async def both(vault_url: str) -> AsyncIterator[tuple[Any, VaultStore, str]]:
    """py-key-value's VaultStore and kv's on the mount's top level, and a fresh collection."""
    ours = kv.connect(vault_url)
    assert isinstance(ours, VaultStore)
    theirs = PyKVVaultStore(url=address(ours), token=None, mount_point=ours.options.mount)
    collection = unique("compat")
    yield theirs, ours, collection
    await ours.destroy_collection(collection)
    await ours.close()


async def test_kv_reads_what_py_key_value_wrote(both: tuple[Any, VaultStore, str]) -> None:
    theirs, ours, collection = both
    for key, value in VALUES.items():
        await theirs.put(key, value, collection=collection)
    await theirs.put("expiring", {"v": 1}, collection=collection, ttl=300)
    for key, value in VALUES.items():
        assert await ours.get(key, collection=collection) == value
    timed, remaining = await ours.ttl("expiring", collection=collection)
    assert timed == {"v": 1}
    assert remaining is not None
    assert 250 < remaining <= 300
    assert sorted(await ours.keys(collection)) == sorted([*VALUES, "expiring"])
    assert collection in await ours.collections()
    assert await ours.delete("alice", collection=collection) is True
    assert await theirs.get("alice", collection=collection) is None


async def test_py_key_value_reads_what_kv_wrote(both: tuple[Any, VaultStore, str]) -> None:
    theirs, ours, collection = both
    await ours.put_many(list(VALUES), list(VALUES.values()), collection=collection)
    await ours.put("expiring", {"v": 2}, collection=collection, ttl=300)
    for key, value in VALUES.items():
        assert await theirs.get(key, collection=collection) == value
    timed, remaining = await theirs.ttl("expiring", collection=collection)
    assert timed == {"v": 2}
    assert remaining is not None
    assert 250 < remaining <= 300
    assert await theirs.delete("user:42", collection=collection) is True
    assert await ours.get("user:42", collection=collection) is None


# --- behind the store's back -------------------------------------------------------------


async def test_secrets_are_named_as_py_key_value_names_them(
    store: VaultStore, raw: VaultCalls
) -> None:
    await store.put("alice", {"v": 1}, collection="users")
    await store.put("a/b c", {"v": 2}, collection="odd:name")
    await store.put("k" * 1500, {"v": 3}, collection="users")
    folder = store.layout.folder
    names = await anyio.to_thread.run_sync(raw.list, folder)
    assert "users::alice" in names
    assert "odd%3Aname::a%2Fb%20c" in names
    assert secret_name("users", "k" * 1500) in names
    assert sorted(await store.keys("users")) == sorted(["alice", "k" * 1500])
    assert sorted(await store.collections()) == ["odd:name", "users"]


async def test_a_delete_writes_a_tombstone_and_cull_removes_it(
    store: VaultStore, raw: VaultCalls
) -> None:
    await store.put("k", {"v": 1}, collection="c")
    first = await store.get_versioned("k", collection="c")
    assert first is not None
    assert await store.delete("k", collection="c") is True
    path = store.layout.path("c", "k")
    secret = await anyio.to_thread.run_sync(raw.read, path)
    assert secret is not None
    assert dict(secret.data or {}) == dict(TOMBSTONE)
    assert await store.keys("c") == []
    await store.put("k", {"v": 1}, collection="c")
    again = await store.get_versioned("k", collection="c")
    assert again is not None
    assert again.version != first.version  # the version numbers go on counting
    await store.put("gone", {"v": 1}, collection="c", ttl=0.5)

    async def expired() -> bool:
        return await store.get("gone", collection="c") is None

    assert await eventually(expired, within=30)
    assert await store.delete("k", collection="c") is True
    assert await store.cull() == 1  # the expired entry; the tombstone is reclaimed too
    assert await anyio.to_thread.run_sync(raw.list, store.layout.folder) == []
    assert await store.cull() == 0


# --- mounts ------------------------------------------------------------------------------


async def test_a_missing_mount_is_created_or_refused(vault_url: str) -> None:
    mount = unique("kv-mount")
    refused = kv.connect(vault_url, mount=mount, auto_create=False)
    with pytest.raises(StoreSetupError, match="auto_create is off"):
        await refused.get("k")
    await refused.close()
    created = kv.connect(vault_url, mount=mount)
    assert isinstance(created, VaultStore)
    try:
        await created.put("k", {"v": 1})
        assert await created.get("k") == {"v": 1}
    finally:
        await created.close()
        client: Any = make_client(created.options)
        await anyio.to_thread.run_sync(lambda: client.sys.disable_secrets_engine(mount))
        client.adapter.close()


async def test_a_kv_version_1_mount_is_refused(vault_url: str) -> None:
    mount = unique("kv-v1")
    client: Any = make_client(VaultStore(vault_url).options)
    await anyio.to_thread.run_sync(
        lambda: client.sys.enable_secrets_engine("kv", path=mount, options={"version": "1"})
    )
    store = kv.connect(vault_url, mount=mount)
    try:
        with pytest.raises(StoreSetupError, match="not a KV version 2"):
            await store.get("k")
    finally:
        await store.close()
        await anyio.to_thread.run_sync(lambda: client.sys.disable_secrets_engine(mount))
        client.adapter.close()


async def test_a_folder_inside_a_mount_is_refused_as_a_mount(vault_url: str) -> None:
    store = kv.connect(vault_url, mount="secret/apps")
    with pytest.raises(StoreSetupError, match="inside the mount 'secret'"):
        await store.get("k")
    await store.close()


# --- the server stopped and started again -----------------------------------------------------


def _docker(*arguments: str) -> None:
    subprocess.run(["docker", *arguments], check=True, capture_output=True, timeout=120)  # noqa: S603, S607


async def test_the_store_recovers_when_vault_restarts(vault_url: str, vault_container: str) -> None:
    if not vault_container:
        pytest.skip("KV_VAULT_CONTAINER names no container to stop")
    store = kv.connect(vault_url, prefix=unique("kv-fault"))
    assert isinstance(store, VaultStore)
    try:
        await store.put("k", {"v": 1})
        await anyio.to_thread.run_sync(_docker, "stop", vault_container)
        with pytest.raises(StoreConnectionError):
            await store.get("k")
        await anyio.to_thread.run_sync(_docker, "start", vault_container)

        async def works() -> bool:
            try:
                await store.put("k", {"v": 2})  # the dev server kept nothing in memory
            except StoreError:  # refused, then sealed (503) while the server starts
                return False
            return True

        assert await eventually(works, within=120, step=0.2), "the store did not work again"
        assert await store.get("k") == {"v": 2}
    finally:
        await store.destroy()
        await store.close()
