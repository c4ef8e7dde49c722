"""What is special about the atomic operations of ``keyring://`` beyond the suite.

The conformance suite's atomic section, its two-process claim test included,
runs in ``test_keyring_conformance.py`` (whole values and values split across
entries). Here: a value split across entries, entries py-key-value wrote
(under kv's username and under its own plain one), and a damaged entry.
"""

from __future__ import annotations

import configparser

import pytest
from key_value.aio.stores.keyring.store import (
    KeyringStore as PyKeyValueKeyringStore,
)
from keyrings.alt.file import PlaintextKeyring

import kv
from kv_keyring.naming import entry_username
from kv_keyring.plugin import KEYRING_CAPABILITIES
from kv_keyring.store import KeyringStore

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning"),
]

SERVICE = "kv-atomic"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_capability_is_declared() -> None:
    assert KeyringStore.capabilities is KEYRING_CAPABILITIES
    assert KEYRING_CAPABILITIES.atomic
    assert KEYRING_CAPABILITIES.operations() == [
        "keys",
        "collections",
        "destroy",
        "destroy_collection",
        "cull",
        "put_if_absent",
    ]


def chunk_names(backend: PlaintextKeyring) -> list[str]:
    """Usernames of the pieces of split values in the file keyring."""
    from keyrings.alt.escape import escape, unescape

    config = configparser.RawConfigParser()
    config.read(backend.file_path, encoding="utf-8")
    if not config.has_section(escape(SERVICE)):
        return []
    names = (unescape(option) for option in config.options(escape(SERVICE)))
    return sorted(name for name in names if name.startswith("kv:chunk:"))


async def test_a_value_split_across_entries(backend: PlaintextKeyring) -> None:
    store = kv.connect(f"keyring://{SERVICE}?max_value_chars=300", backend=backend)
    assert isinstance(store, KeyringStore)
    big = {"blob": "x" * 3000, "text": "Grüße 🌍" * 50}
    assert await store.put_if_absent("big", big, collection="c", ttl=100)
    assert not await store.put_if_absent("big", {"v": 0}, collection="c")
    assert chunk_names(backend)
    found = await store.get_versioned("big", collection="c")
    assert found is not None
    assert found.value == big
    assert found.ttl is not None
    assert 90 <= found.ttl <= 100
    # The same value written again is a new generation of pieces: a new version.
    await store.put("big", big, collection="c")
    again = await store.get_versioned("big", collection="c")
    assert again is not None
    assert again.version != found.version
    assert not await store.put_if_version("big", {"v": 1}, found.version, collection="c")
    bigger = {**big, "more": "y" * 2000}
    assert await store.put_if_version("big", bigger, again.version, collection="c")
    latest = await store.get_versioned("big", collection="c")
    assert latest is not None
    assert latest.value == bigger
    # Replaced by a value that fits one entry: the pieces go.
    assert await store.put_if_version("big", {"small": True}, latest.version, collection="c")
    assert chunk_names(backend) == []
    small = await store.get_versioned("big", collection="c")
    assert small is not None
    assert await store.put_if_version("big", big, small.version, collection="c")
    split = await store.get_versioned("big", collection="c")
    assert split is not None
    assert await store.delete_if_version("big", split.version, collection="c")
    assert chunk_names(backend) == []
    assert await store.get("big", collection="c") is None
    assert await store.keys("c") == []


async def test_a_missing_piece_is_a_clear_error(backend: PlaintextKeyring) -> None:
    store = kv.connect(f"keyring://{SERVICE}?max_value_chars=300", backend=backend)
    assert isinstance(store, KeyringStore)
    await store.put("big", {"v": "x" * 2000}, collection="c")
    found = await store.get_versioned("big", collection="c")
    assert found is not None
    backend.delete_password(SERVICE, chunk_names(backend)[0])
    with pytest.raises(kv.DeserializationError) as caught:
        await store.get_versioned("big", collection="c")
    assert caught.value.key == "big"
    with pytest.raises(kv.DeserializationError):
        await store.put_if_absent("big", {"v": 1}, collection="c")
    with pytest.raises(kv.DeserializationError):
        await store.put_if_version("big", {"v": 1}, found.version, collection="c")
    await store.put("big", {"v": "repaired"}, collection="c")
    assert not await store.put_if_absent("big", {"v": 1}, collection="c")


@pytest.mark.parametrize(
    ("collection", "key"),
    [("users", "alice"), ("oauth", "accessToken")],
    ids=["same-username", "plain-username"],
)
async def test_a_value_written_by_py_key_value(
    global_keyring: PlaintextKeyring, collection: str, key: str
) -> None:
    writer = PyKeyValueKeyringStore(service_name=SERVICE)
    await writer.put(key=key, value={"who": "py-key-value"}, collection=collection)
    store = kv.connect(f"keyring://{SERVICE}")
    assert isinstance(store, KeyringStore)
    assert not await store.put_if_absent(key, {"who": "kv"}, collection=collection)
    found = await store.get_versioned(key, collection=collection)
    assert found is not None
    assert found.value == {"who": "py-key-value"}
    assert found.ttl is None
    # Rewritten by py-key-value: the version it had is refused.
    await writer.put(key=key, value={"who": "py-key-value", "n": 2}, collection=collection)
    assert not await store.put_if_version(key, {"who": "kv"}, found.version, collection=collection)
    current = await store.get_versioned(key, collection=collection)
    assert current is not None
    assert current.version != found.version
    assert await store.put_if_version(key, {"who": "kv"}, current.version, collection=collection)
    assert await writer.get(key=key, collection=collection) == (
        {"who": "kv"} if entry_username(collection, key) == f"{collection}::{key}" else None
    )
    mine = await store.get_versioned(key, collection=collection)
    assert mine is not None
    assert mine.value == {"who": "kv"}
    assert await store.delete_if_version(key, mine.version, collection=collection)
    # Neither kv's entry nor py-key-value's is left to show through.
    assert await store.get(key, collection=collection) is None
    assert await writer.get(key=key, collection=collection) is None
