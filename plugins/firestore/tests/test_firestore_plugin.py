"""What only kv-firestore does: its URL and options, its layout, names, TTL field and batches.

Documents are checked with a raw google-cloud-firestore client on the same
emulator, outside the store's API.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

import kv
from kv import registry
from kv_conformance.servers import ServerProcess
from kv_firestore.names import MAX_ID_BYTES, encode_id
from kv_firestore.plugin import PLUGIN, FirestoreOptions
from kv_firestore.store import BATCH_LIMIT, ENTRIES, FirestoreStore, close_client

pytestmark = pytest.mark.anyio

PROJECT = "demo-test"


@pytest.fixture
def anyio_backend() -> str:
    """google-cloud-firestore's AsyncClient runs under asyncio only."""
    return "asyncio"


@pytest.fixture
async def store(
    firestore_emulator: ServerProcess, grpc_events_of_closed_loops: None, root: str
) -> AsyncIterator[FirestoreStore]:
    opened = kv.connect(f"firestore://{PROJECT}/{root}")
    assert isinstance(opened, FirestoreStore)
    yield opened
    await opened.close()


@pytest.fixture
async def raw(
    firestore_emulator: ServerProcess, grpc_events_of_closed_loops: None
) -> AsyncIterator[firestore.AsyncClient]:
    """A client of the emulator of its own."""
    client = firestore.AsyncClient(project=PROJECT)
    yield client
    await close_client(client)


def _entry_ref(raw: firestore.AsyncClient, root: str, collection: str, key: str) -> Any:
    return raw.document(root, encode_id(collection), ENTRIES, encode_id(key))


# --- declaration, URL and options ---------------------------------------------------------


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_firestore
        import kv_firestore.plugin
        from kv import registry
        registry.resolve("firestore")
        registry.plugins()
        heavy = ("kv_firestore.store", "google.cloud.firestore", "grpc", "google.api_core")
        print(",".join(sorted(name for name in heavy if name in sys.modules)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def test_the_entry_point_names_the_declaration() -> None:
    assert registry.resolve("firestore") is PLUGIN
    assert registry.origin("firestore") == "kv-firestore"


@pytest.mark.parametrize(
    ("url", "project", "root"),
    [
        ("firestore://my-project/kv", "my-project", "kv"),
        ("firestore://my-project", "my-project", None),
        ("firestore://my-project/", "my-project", None),
        ("firestore:///kv", None, "kv"),
    ],
)
def test_url_forms(url: str, project: str | None, root: str | None) -> None:
    store = kv.connect(url)
    assert isinstance(store, FirestoreStore)
    assert (store.options.project, store.options.root) == (project, root)


@pytest.mark.parametrize(
    "url",
    [
        "firestore://p/a/b",
        "firestore://user:secret@p/kv",
        "firestore://p:8080/kv",
        "firestore://p1,p2/kv",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(kv.InvalidURLError) as caught:
        kv.connect(url)
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    "options",
    [
        {"root": "__reserved__"},
        {"root": ".."},
        {"root": "é" * 800},
        {"command_timeout": 0},
        {"credentials": "text"},
        {"unknown": 1},
    ],
)
def test_bad_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(kv.InvalidOptionError):
        FirestoreStore(**options)


def test_credentials_are_never_shown() -> None:
    credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
    store = FirestoreStore(project="p", root="kv", credentials=credentials)
    for text in (repr(store), str(store), repr(store.options)):
        assert repr(credentials) not in text
    assert isinstance(store.options, FirestoreOptions)


async def test_missing_credentials_are_a_setup_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, grpc_events_of_closed_loops: None
) -> None:
    """Without the emulator, Application Default Credentials are looked up: a key file
    that does not exist is a clear StoreSetupError, not a google.auth exception."""
    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    store = FirestoreStore(project="p", root="kv")
    with pytest.raises(kv.StoreSetupError, match="credentials"):
        await store.get("k")
    await store.close()


# --- layout, TTL field and names ---------------------------------------------------------------


async def test_layout_and_ttl_field(
    store: FirestoreStore, raw: firestore.AsyncClient, root: str
) -> None:
    await store.put("lasting", {"v": 1}, collection="users")
    await store.put("brief", {"v": 2}, collection="users", ttl=600)

    lasting = (await _entry_ref(raw, root, "users", "lasting").get()).to_dict()
    assert lasting is not None
    assert lasting["value"] == '{"v":1}'
    assert (lasting["collection"], lasting["key"], lasting["version"]) == ("users", "lasting", 1)
    assert "expires_at" not in lasting
    assert "delete_at" not in lasting

    brief = (await _entry_ref(raw, root, "users", "brief").get()).to_dict()
    assert brief is not None
    # The TTL policy's field is a Firestore timestamp; expires_at stays py-key-value's text.
    assert isinstance(brief["delete_at"], datetime)
    in_ten_minutes = datetime.now(tz=timezone.utc) + timedelta(seconds=600)
    assert abs((brief["delete_at"] - in_ten_minutes).total_seconds()) < 60
    assert datetime.fromisoformat(brief["expires_at"]) == brief["delete_at"]

    # A put without TTL over an entry with one removes the TTL field.
    await store.put("brief", {"v": 3}, collection="users")
    again = (await _entry_ref(raw, root, "users", "brief").get()).to_dict()
    assert again is not None
    assert "delete_at" not in again


async def test_expired_entries_are_hidden_though_still_stored(
    store: FirestoreStore, raw: firestore.AsyncClient, root: str
) -> None:
    """The emulator never deletes by TTL (nor does the service at once): reads hide them."""
    past = datetime.now(tz=timezone.utc) - timedelta(seconds=5)
    await _entry_ref(raw, root, "c", "old").set(
        {"version": 1, "value": '{"v": 1}', "expires_at": past.isoformat(), "delete_at": past}
    )
    await store.put("new", {"v": 2}, collection="c")
    assert await store.get("old", collection="c") is None
    assert await store.get_many(["old", "new"], collection="c") == [None, {"v": 2}]
    assert await store.keys("c") == ["new"]
    assert await store.delete("old", collection="c") is False
    assert await store.put_if_absent("old", {"v": 3}, collection="c") is True
    assert await store.get("old", collection="c") == {"v": 3}


async def test_names_firestore_cannot_hold_are_escaped_and_listed_back(
    store: FirestoreStore, raw: firestore.AsyncClient, root: str
) -> None:
    long_key = "鍵" * 600  # 1,800 bytes: hashed
    keys = ["a/b", ".", "..", "__x__", "100%", long_key, "plain"]
    await store.put_many(keys, [{"i": i} for i in range(len(keys))], collection="odd/.")
    stored = {ref.id async for ref in raw.collection(root, "odd%2F.", ENTRIES).list_documents()}
    assert {"a%2Fb", "%2E", "%2E.", "%5F_x__", "100%25", "plain"} <= stored
    hashed = stored - {"a%2Fb", "%2E", "%2E.", "%5F_x__", "100%25", "plain"}
    assert len(hashed) == 1
    assert len(next(iter(hashed)).encode()) <= MAX_ID_BYTES
    assert sorted(await store.keys("odd/.")) == sorted(keys)
    assert await store.get(long_key, collection="odd/.") == {"i": 5}

    long_collection = "集" * 600
    await store.put("k", {"v": 1}, collection=long_collection)
    assert sorted(await store.collections()) == sorted(["odd/.", long_collection])


async def test_a_version_is_the_documents_update_time(store: FirestoreStore) -> None:
    """Rewriting the same value changes the version: the emulator enforces update_time."""
    await store.put("k", {"v": 1})
    first = await store.get_versioned("k")
    assert first is not None
    await store.put("k", {"v": 1})
    second = await store.get_versioned("k")
    assert second is not None
    assert second.version != first.version
    assert await store.put_if_version("k", {"v": 2}, first.version) is False
    assert await store.delete_if_version("k", first.version) is False
    assert await store.put_if_version("k", {"v": 2}, "not a version") is False
    assert await store.put_if_version("k", {"v": 2}, second.version) is True
    assert await store.get("k") == {"v": 2}


# --- native batches ------------------------------------------------------------------------


async def test_a_batch_larger_than_firestores_limit_round_trips(
    store: FirestoreStore, raw: firestore.AsyncClient, root: str
) -> None:
    count = 2 * BATCH_LIMIT + 234  # three write batches, three get_all chunks
    keys = [f"key-{i:05d}" for i in range(count)]
    await store.put_many(keys, [{"i": i} for i in range(count)], collection="big", ttl=3600)
    parent = raw.collection(root, "big", ENTRIES)
    assert len([ref async for ref in parent.list_documents()]) == count
    assert await store.get_many(keys, collection="big") == [{"i": i} for i in range(count)]
    assert await store.delete_many([*keys, "absent"], collection="big") == count
    assert [ref async for ref in parent.list_documents()] == []
    assert await store.get_many(keys[:3], collection="big") == [None, None, None]
