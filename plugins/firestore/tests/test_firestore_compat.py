"""py-key-value compatibility: kv-firestore reads what py-key-value's FirestoreStore wrote.

A store without a root collection (``firestore://PROJECT``) uses py-key-value's
layout, ``{collection}/{key}`` at the database root, and both write the same
fields (``value`` as JSON text, ``created_at``/``expires_at`` as ISO 8601), so
data moves both ways. Each test uses a database of its own on the emulator.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from key_value.aio.stores.firestore import FirestoreStore as PyKVFirestoreStore

import kv
from kv_conformance.servers import ServerProcess
from kv_firestore.store import FirestoreStore, close_client

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning"),
]

PROJECT = "demo-test"

VALUES: dict[str, dict[str, Any]] = {
    "alice": {"name": "Alice", "age": 30, "tags": ["a", "b"], "nested": {"ok": True}},
    "unicode-鍵": {"text": "héllo wörld ✓", "n": None, "f": 1.5},
    "with::colons": {"v": 1},
}


@pytest.fixture
def anyio_backend() -> str:
    """google-cloud-firestore's AsyncClient runs under asyncio only."""
    return "asyncio"


@pytest.fixture
async def stores(
    firestore_emulator: ServerProcess, grpc_events_of_closed_loops: None
) -> AsyncIterator[tuple[Any, FirestoreStore]]:
    """py-key-value's FirestoreStore and kv-firestore on one fresh database."""
    database = f"compat-{uuid.uuid4().hex[:12]}"
    theirs = PyKVFirestoreStore(project=PROJECT, database=database)
    ours = kv.connect(f"firestore://{PROJECT}?database={database}")
    assert isinstance(ours, FirestoreStore)
    yield theirs, ours
    await ours.close()
    await theirs.close()
    # py-key-value's close() leaves the client's grpc channel open; a channel left to
    # the garbage collector after its loop has closed makes grpc.aio deliver its last
    # events to that closed loop, which fails whatever test runs then.
    await close_client(theirs._client)


async def test_kv_reads_values_and_ttls_py_key_value_wrote(
    stores: tuple[Any, FirestoreStore],
) -> None:
    theirs, ours = stores
    for key, value in VALUES.items():
        await theirs.put(key, value, collection="users")
    await theirs.put("expiring", {"v": 1}, collection="users", ttl=300)
    await theirs.put_many(["b1", "b2"], [{"b": 1}, {"b": 2}], collection="batch", ttl=600)

    for key, value in VALUES.items():
        assert await ours.get(key, collection="users") == value
    found, ttl = await ours.ttl("expiring", collection="users")
    assert found == {"v": 1}
    assert ttl is not None
    assert 250 < ttl <= 300
    assert await ours.get_many(["b1", "b2", "nope"], collection="batch") == [
        {"b": 1},
        {"b": 2},
        None,
    ]
    assert sorted(await ours.keys("users")) == sorted([*VALUES, "expiring"])
    assert sorted(await ours.collections()) == ["batch", "users"]
    assert await ours.delete_many(["b1", "b2"], collection="batch") == 2
    assert await theirs.get("b1", collection="batch") is None


async def test_py_key_value_reads_what_kv_wrote(stores: tuple[Any, FirestoreStore]) -> None:
    theirs, ours = stores
    for key, value in VALUES.items():
        await ours.put(key, value, collection="users")
    await ours.put_many(["t1", "t2"], [{"t": 1}, {"t": 2}], collection="users", ttl=600)

    for key, value in VALUES.items():
        assert await theirs.get(key, collection="users") == value
    found, ttl = await theirs.ttl("t1", collection="users")
    assert found == {"t": 1}
    assert ttl is not None
    assert 550 < ttl <= 600


async def test_an_entry_py_key_value_wrote_expired_is_hidden(
    stores: tuple[Any, FirestoreStore],
) -> None:
    """py-key-value's documents have no TTL field: kv hides them by ``expires_at``."""
    theirs, ours = stores
    await theirs.put("brief", {"v": 1}, collection="c", ttl=0.2)
    await theirs.put("kept", {"v": 2}, collection="c")
    for _ in range(200):  # until the wall clock passes the expiry (no fixed window)
        if await theirs.get("brief", collection="c") is None:
            break
        await _pause()
    assert await ours.get("brief", collection="c") is None
    assert await ours.get("kept", collection="c") == {"v": 2}
    assert await ours.keys("c") == ["kept"]


async def _pause() -> None:
    import anyio

    await anyio.sleep(0.05)


async def test_py_key_value_layout_lists_destroys_and_culls(
    stores: tuple[Any, FirestoreStore],
) -> None:
    """Without a root collection the store's collections are the database's root
    collections: listing, destroy_collection, cull and destroy work on them."""
    theirs, ours = stores
    await theirs.put("a", {"v": 1}, collection="one")
    await ours.put_many(["b", "c"], [{"v": 2}, {"v": 3}], collection="two/2")
    await ours.put("gone", {"v": 4}, collection="two/2", ttl=0.2)
    assert sorted(await ours.collections()) == ["one", "two/2"]
    assert sorted(await ours.keys("two/2")) == ["b", "c", "gone"]
    removed = 0
    for _ in range(200):  # until the wall clock passes the expiry (no fixed window)
        removed += await ours.cull()
        if removed:
            break
        await _pause()
    assert removed == 1
    assert sorted(await ours.keys("two/2")) == ["b", "c"]
    assert await ours.destroy_collection("one") is True
    assert await theirs.get("a", collection="one") is None
    assert await ours.collections() == ["two/2"]
    assert await ours.destroy() is True
    assert await ours.collections() == []
