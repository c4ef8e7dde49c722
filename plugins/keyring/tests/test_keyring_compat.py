"""Data written by py-key-value's KeyringStore is read by kv's, and back.

py-key-value-aio is a test dependency; its KeyringStore uses keyring's
process-wide backend, which the ``global_keyring`` fixture points at the
test's temporary file keyring.
"""

from __future__ import annotations

import pytest
from key_value.aio.stores.keyring.store import (
    KeyringStore as PyKeyValueKeyringStore,
)
from key_value.aio.stores.keyring.store import (
    KeyringV1CollectionSanitizationStrategy,
    KeyringV1KeySanitizationStrategy,
)
from keyrings.alt.file import PlaintextKeyring

import kv
from kv_keyring.naming import entry_username

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning"),
]

SERVICE = "py-key-value"

ORDINARY = [
    ("default_collection", "token"),
    ("oauth", "github"),
    ("oauth-clients", "client_42"),
    ("users", "alice.smith"),
    ("sessions/v1", "abc-123"),
]
"""Names py-key-value and kv turn into the same username."""

NEEDING_ESCAPES = [
    ("oauth", "accessToken"),
    ("My App", "refresh token"),
    ("users", "alice@example.com"),
    ("unicode", "clé-ключ-鍵"),
]
"""Names kv escapes: it finds py-key-value's entries under the plain username."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(("collection", "key"), ORDINARY + NEEDING_ESCAPES)
async def test_kv_reads_what_py_key_value_wrote(
    global_keyring: PlaintextKeyring, collection: str, key: str
) -> None:
    writer = PyKeyValueKeyringStore(service_name=SERVICE)
    await writer.put(key=key, value={"who": "py-key-value", "n": 1}, collection=collection)
    await writer.put(key="expiring", value={"t": 1}, collection=collection, ttl=3600)

    store = kv.connect(f"keyring://{SERVICE}")
    assert await store.get(key, collection=collection) == {"who": "py-key-value", "n": 1}
    value, remaining = await store.ttl("expiring", collection=collection)
    assert value == {"t": 1}
    assert remaining is not None
    assert 3500 < remaining <= 3600
    assert await store.get_many([key, "missing"], collection=collection) == [
        {"who": "py-key-value", "n": 1},
        None,
    ]


async def test_ordinary_names_share_one_username(global_keyring: PlaintextKeyring) -> None:
    for collection, key in ORDINARY:
        assert entry_username(collection, key) == f"{collection}::{key}"


async def test_py_key_value_default_collection(global_keyring: PlaintextKeyring) -> None:
    writer = PyKeyValueKeyringStore(service_name=SERVICE)
    await writer.put(key="k", value={"v": 1})
    store = kv.connect(f"keyring://{SERVICE}")
    assert await store.get("k") == {"v": 1}


async def test_py_key_value_reads_what_kv_wrote(global_keyring: PlaintextKeyring) -> None:
    store = kv.connect(f"keyring://{SERVICE}")
    reader = PyKeyValueKeyringStore(service_name=SERVICE)
    for collection, key in ORDINARY:
        await store.put(key, {"who": "kv"}, collection=collection, ttl=600)
        assert await reader.get(key=key, collection=collection) == {"who": "kv"}
        _, remaining = await reader.ttl(key=key, collection=collection)
        assert remaining is not None
        assert 590 < remaining <= 600


async def test_sanitizing_py_key_value_store_alphanumeric_names(
    global_keyring: PlaintextKeyring,
) -> None:
    """py-key-value's opt-in KeyringV1 strategies leave letters and digits alone."""
    writer = PyKeyValueKeyringStore(
        service_name=SERVICE,
        key_sanitization_strategy=KeyringV1KeySanitizationStrategy(),
        collection_sanitization_strategy=KeyringV1CollectionSanitizationStrategy(),
    )
    await writer.put(key="AccessToken2", value={"v": 2}, collection="MyApp")
    store = kv.connect(f"keyring://{SERVICE}")
    assert await store.get("AccessToken2", collection="MyApp") == {"v": 2}


async def test_delete_removes_py_key_value_entry_for_good(
    global_keyring: PlaintextKeyring,
) -> None:
    writer = PyKeyValueKeyringStore(service_name=SERVICE)
    await writer.put(key="accessToken", value={"old": True}, collection="oauth")
    store = kv.connect(f"keyring://{SERVICE}")
    await store.put("accessToken", {"new": True}, collection="oauth")
    assert await store.get("accessToken", collection="oauth") == {"new": True}
    assert await store.delete("accessToken", collection="oauth") is True
    # The older py-key-value entry must not show through.
    assert await store.get("accessToken", collection="oauth") is None
    assert await writer.get(key="accessToken", collection="oauth") is None
    assert await store.delete("accessToken", collection="oauth") is False


async def test_delete_of_a_py_key_value_entry_reports_it(
    global_keyring: PlaintextKeyring,
) -> None:
    writer = PyKeyValueKeyringStore(service_name=SERVICE)
    await writer.put(key="accessToken", value={"v": 1}, collection="oauth")
    await writer.put(key="plain", value={"v": 1}, collection="oauth")
    store = kv.connect(f"keyring://{SERVICE}")
    assert await store.delete_many(["accessToken", "plain", "missing"], collection="oauth") == 2
    assert await writer.get(key="accessToken", collection="oauth") is None
    assert await writer.get(key="plain", collection="oauth") is None


async def test_case_insensitive_keyring_never_mixes_up_names(
    global_keyring: PlaintextKeyring,
) -> None:
    """The file backend ignores case in usernames; the names in the document decide."""
    writer = PyKeyValueKeyringStore(service_name=SERVICE)
    await writer.put(key="Token", value={"which": "Token"}, collection="c")
    store = kv.connect(f"keyring://{SERVICE}")
    assert await store.get("Token", collection="c") == {"which": "Token"}
    # py-key-value's "c::Token" answers for "c::token" in this keyring: not the same key.
    assert await store.get("token", collection="c") is None
    assert await store.delete("token", collection="c") is False
    assert await store.get("Token", collection="c") == {"which": "Token"}


async def test_legacy_lookup_can_be_turned_off(global_keyring: PlaintextKeyring) -> None:
    writer = PyKeyValueKeyringStore(service_name=SERVICE)
    await writer.put(key="accessToken", value={"v": 1}, collection="oauth")
    store = kv.connect(f"keyring://{SERVICE}?legacy_names=false")
    assert await store.get("accessToken", collection="oauth") is None


async def test_a_culled_kv_entry_does_not_uncover_py_key_values(
    global_keyring: PlaintextKeyring,
) -> None:
    import anyio

    writer = PyKeyValueKeyringStore(service_name=SERVICE)
    await writer.put(key="accessToken", value={"old": True}, collection="oauth")
    store = kv.connect(f"keyring://{SERVICE}?sweep_interval=none")
    await store.put("accessToken", {"new": True}, collection="oauth", ttl=0.2)
    await anyio.sleep(0.4)
    assert await store.get("accessToken", collection="oauth") is None
    assert await store.cull() == 1  # type: ignore[attr-defined]
    assert await store.get("accessToken", collection="oauth") is None
    assert await writer.get(key="accessToken", collection="oauth") is None
