"""kv-search without a server: index names, document ids, documents, options, bulk chunks."""

from __future__ import annotations

import json

import pytest

from kv.entry import StoredEntry
from kv.errors import DeserializationError
from kv_search import store as search_store
from kv_search.engine import connection_of
from kv_search.layout import (
    collection_of_index,
    document_id,
    encode_collection,
    entry_of,
    index_body,
    write_document,
)
from kv_search.options import SearchOptions

NAMES = ["users", "a-b_c", "A", "a", "a.b", "a b", "Ünï 鍵", "a\x00b", "~x", "..", "x" * 300]


def test_collection_names_are_reversible_lower_case_and_distinct() -> None:
    indices = [encode_collection("kv", name) for name in NAMES]
    assert len(set(indices)) == len(NAMES)
    for name, index in zip(NAMES, indices):
        assert index == index.lower()
        assert len(index.encode()) <= 255
        assert not any(character in index for character in '\\/*?"<>| ,#:')
        expected = None if len(name) == 300 else name
        assert collection_of_index("kv", index) == expected
    assert encode_collection("kv_store", "users") == "kv_store-users"  # py-key-value's name
    assert encode_collection("kv", "A") == "kv-.41"
    assert collection_of_index("other", "kv-users") is None


def test_document_ids() -> None:
    assert document_id("alice") == "alice"
    assert document_id("é" * 256) == "é" * 256  # 512 bytes
    assert document_id("é" * 257).startswith("~")
    assert len(document_id("é" * 257)) == 64
    assert document_id("~a") == "~~a"
    assert document_id(".") == "~."
    assert document_id("..") == "~.."


def test_documents_round_trip_in_py_key_values_layout() -> None:
    entry = StoredEntry('{"name":"Alice","n":[1,2]}', 1_700_000_000.25, 1_700_000_600.5)
    text = write_document("users", "alice", entry, "flattened")
    document = json.loads(text)
    assert document == {
        "collection": "users",
        "created_at": "2023-11-14T22:13:20.250000+00:00",
        "expires_at": "2023-11-14T22:23:20.500000+00:00",
        "key": "alice",
        "value": {"flattened": {"name": "Alice", "n": [1, 2]}},
        "version": 1,
    }
    read = entry_of(document)
    assert read.value() == {"name": "Alice", "n": [1, 2]}
    assert (read.created_at, read.expires_at) == (1_700_000_000.25, 1_700_000_600.5)
    flat = entry_of(json.loads(write_document("c", "k", StoredEntry("{}"), "flat")))
    assert (flat.value(), flat.expires_at) == ({}, None)


@pytest.mark.parametrize(
    "source",
    [
        None,
        [],
        {"key": "k"},
        {"value": {"name": "x"}},
        {"value": {"flattened": "{not json"}},
        {"value": {"flat": 42}},
        {"value": {"flat": {}}, "expires_at": "soon"},
    ],
)
def test_damaged_documents_are_deserialization_errors(source: object) -> None:
    with pytest.raises(DeserializationError):
        entry_of(source)


def test_index_body_keeps_values_out_of_the_index() -> None:
    mapping = json.loads(index_body())["mappings"]
    assert mapping["dynamic"] is False
    assert mapping["properties"]["value"] == {"type": "object", "enabled": False}
    assert mapping["properties"]["key"] == {"type": "keyword"}


def test_connection_headers_and_nodes() -> None:
    options = SearchOptions(hosts=("h1", "::1"), port=(9201, 9202), user="u", password="pw")
    connection = connection_of(options)
    assert connection.nodes == ("http://h1:9201", "http://[::1]:9202")
    assert connection.headers["authorization"] == "Basic dTpwdw=="
    assert connection.ndjson_headers()["content-type"] == "application/x-ndjson"
    assert "pw" not in repr(connection)
    assert "pw" not in repr(options)
    assert connection_of(SearchOptions()).nodes == ("http://localhost:9200",)


def test_bulk_requests_are_bounded_by_count_and_bytes() -> None:
    small = [("a" * 10,)] * 2500
    assert [len(chunk) for chunk in search_store._chunks(small)] == [1000, 1000, 500]
    big = [("b" * 2_000_000,)] * 5
    assert [len(chunk) for chunk in search_store._chunks(big)] == [2, 2, 1]
    assert [len(chunk) for chunk in search_store._chunks([("c" * 9_000_000,)])] == [1]
