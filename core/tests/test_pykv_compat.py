"""Compatibility with py-key-value: its protocol accepts kv stores, and the
stored document format is readable both ways."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import kv
from kv.entry import StoredEntry, decode_document, encode_document

protocols = pytest.importorskip("key_value.aio.protocols.key_value")
serialization = pytest.importorskip("key_value.aio._utils.serialization")
managed_entry = pytest.importorskip("key_value.aio._utils.managed_entry")

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("url", ["memory://", "null://"])
def test_store_passes_py_key_value_protocol_checks(url: str) -> None:
    store = kv.connect(url)
    assert isinstance(store, protocols.AsyncKeyValueProtocol)
    assert isinstance(store, protocols.AsyncKeyValue)


def test_optional_protocols_match() -> None:
    store = kv.connect("memory://")
    assert isinstance(store, protocols.AsyncEnumerateKeysProtocol)
    assert isinstance(store, protocols.AsyncEnumerateCollectionsProtocol)
    assert isinstance(store, protocols.AsyncDestroyStoreProtocol)
    assert isinstance(store, protocols.AsyncDestroyCollectionProtocol)
    assert isinstance(store, protocols.AsyncCullProtocol)
    null = kv.connect("null://")
    assert not isinstance(null, protocols.AsyncEnumerateKeysProtocol)


async def test_framework_code_written_for_py_key_value_runs_on_kv() -> None:
    async def framework(cache: protocols.AsyncKeyValueProtocol) -> object:
        await cache.put(
            key="session:123", value={"user_id": "456"}, collection="sessions", ttl=3600
        )
        return await cache.get(key="session:123", collection="sessions")

    assert await framework(kv.connect("memory://")) == {"user_id": "456"}


def test_kv_reads_documents_py_key_value_writes() -> None:
    created = datetime(2025, 1, 1, tzinfo=timezone.utc)
    entry = managed_entry.ManagedEntry(
        value={"name": "Alice", "age": 30},
        created_at=created,
        expires_at=created + timedelta(seconds=10),
    )
    document = serialization.BasicSerializationAdapter().dump_json(
        entry, key="test_key", collection="test"
    )
    ours = decode_document(document)
    assert ours.value() == {"name": "Alice", "age": 30}
    assert ours.created_at == created.timestamp()
    assert ours.expires_at == created.timestamp() + 10


def test_py_key_value_reads_documents_kv_writes() -> None:
    created = datetime(2025, 1, 1, tzinfo=timezone.utc).timestamp()
    document = encode_document(
        StoredEntry('{"name":"Alice","n":[1,2]}', created, created + 10),
        collection="test",
        key="test_key",
    )
    theirs = serialization.BasicSerializationAdapter().load_json(document)
    assert dict(theirs.value) == {"name": "Alice", "n": [1, 2]}
    assert theirs.created_at == datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert theirs.expires_at == datetime(2025, 1, 1, 0, 0, 10, tzinfo=timezone.utc)


def test_documents_without_expiry_round_trip_both_ways() -> None:
    entry = managed_entry.ManagedEntry(value={}, created_at=datetime.now(tz=timezone.utc))
    document = serialization.BasicSerializationAdapter().dump_json(entry, key="k", collection="c")
    assert decode_document(document).expires_at is None
    ours = encode_document(StoredEntry("{}", 1.0, None), collection="c", key="k")
    assert serialization.BasicSerializationAdapter().load_json(ours).expires_at is None
