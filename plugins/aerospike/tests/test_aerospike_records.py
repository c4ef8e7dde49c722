"""The record layout, both ways, without a server: keys, bins, TTLs, versions,
listings' names, and what py-key-value's AerospikeStore writes."""

from __future__ import annotations

import json
from typing import Any

import aerospike
import pytest

from kv.atomic import expiring_version, live_token
from kv.entry import StoredEntry, encode_document
from kv.errors import DeserializationError
from kv_aerospike.records import (
    COLLECTION_BIN,
    CREATED_BIN,
    EXPIRES_BIN,
    MAX_RECORD_TTL,
    NEVER_EXPIRE,
    VALUE_BIN,
    Found,
    Version,
    entry_of_bins,
    found_of_record,
    info_values,
    named_by_documents,
    names_of_document,
    parse_token,
    record_bins,
    record_key,
    record_ttl,
    setup_problem,
    token_of,
    user_key,
)

NULL = aerospike.null()
NOW = 1_767_225_600.25  # 2026-01-01T00:00:00.25Z

# What py-key-value 0.5's AerospikeStore writes into the bin "value" (its
# BasicSerializationAdapter's dump_json with the key and collection).
PY_KEY_VALUE_DOCUMENT = json.dumps(
    {
        "version": 1,
        "value": {"name": "Alice", "n": 1},
        "key": "alice",
        "collection": "users",
        "created_at": "2026-01-01T00:00:00.250000+00:00",
        "expires_at": "2026-01-01T01:00:00.250000+00:00",
    }
)


# --- keys ----------------------------------------------------------------------------


def test_keys_are_py_key_values_compound_keys() -> None:
    assert record_key("test", "kv-store", "users", "alice") == ("test", "kv-store", "users::alice")


def test_a_collection_with_the_separator_is_escaped() -> None:
    assert user_key("a::b", "c") != user_key("a", "b::c")
    assert user_key("a::b", "c") == "a%3A%3Ab::c"


def test_a_name_with_nul_is_a_bytes_key_of_its_own() -> None:
    """The client cuts a str key at NUL: such names are stored as bytes keys, whose
    digests differ from each other and from every string key's."""
    assert aerospike.calc_digest("test", "s", "a\x00b") == aerospike.calc_digest("test", "s", "a")
    keys = [user_key("c", "a\x00b"), user_key("c", "a\x00c"), user_key("c\x00", "a")]
    assert all(isinstance(key, bytearray) for key in keys)
    assert keys[0] == bytearray(b"c::a\x00b")
    digests = {bytes(aerospike.calc_digest("test", "s", key)) for key in keys}
    digests.add(bytes(aerospike.calc_digest("test", "s", "c::a")))
    digests.add(bytes(aerospike.calc_digest("test", "s", "c::a\\x00b")))
    assert len(digests) == 5


def test_long_and_unicode_names_keep_their_own_digests() -> None:
    long_a, long_b = "k" * 1499 + "a", "k" * 1499 + "b"
    names = [("c", long_a), ("c", long_b), ("c", "\u00e9"), ("c", "e\u0301")]
    digests = {bytes(aerospike.calc_digest("test", "s", user_key(*pair))) for pair in names}
    assert len(digests) == 4


# --- TTL -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "record"),
    [
        (None, NEVER_EXPIRE),
        (0.001, 2),
        (0.1, 2),
        (1.0, 2),
        (1.5, 3),
        (3600.0, 3601),
        (MAX_RECORD_TTL - 1.0, MAX_RECORD_TTL),
        (MAX_RECORD_TTL - 0.5, NEVER_EXPIRE),
        (100 * 365 * 86400.0, NEVER_EXPIRE),
    ],
)
def test_record_ttl(seconds: float | None, record: int) -> None:
    assert record_ttl(seconds) == record


def test_never_expire_is_the_clients_constant() -> None:
    assert aerospike.TTL_NEVER_EXPIRE == NEVER_EXPIRE


# --- bins and entries ------------------------------------------------------------------


def test_bins_of_an_entry_with_a_ttl() -> None:
    entry = StoredEntry('{"a":1}', NOW, NOW + 10)
    bins = record_bins("users", "alice", entry, NULL)
    assert bins[VALUE_BIN] == encode_document(entry, collection="users", key="alice")
    assert bins[COLLECTION_BIN] == bytearray(b"users")
    assert bins[CREATED_BIN] == NOW
    assert bins[EXPIRES_BIN] == NOW + 10
    assert entry_of_bins(bins, "alice")[1:3] == (NOW, NOW + 10)


def test_bins_of_an_entry_without_expiry_remove_the_expiry_bin() -> None:
    bins = record_bins("c\x00", "k", StoredEntry('{"a":1}', NOW), NULL)
    assert bins[EXPIRES_BIN] is NULL
    assert bins[COLLECTION_BIN] == bytearray(b"c\x00")
    assert "\x00" not in bins[VALUE_BIN]  # JSON escapes it: the str bin is whole
    entry = entry_of_bins(bins, "k")
    assert (entry.value(), entry.expires_at) == ({"a": 1}, None)


def test_kv_reads_what_py_key_value_wrote() -> None:
    entry = entry_of_bins({VALUE_BIN: PY_KEY_VALUE_DOCUMENT}, "alice")
    assert entry.value() == {"name": "Alice", "n": 1}
    assert entry.created_at == NOW
    assert entry.expires_at == NOW + 3600


def test_py_key_value_reads_what_kv_wrote() -> None:
    """The document has py-key-value's fields (its reader needs "value" as an object
    and ISO times)."""
    bins = record_bins("users", "alice", StoredEntry('{"n":1}', NOW, NOW + 60), NULL)
    document = json.loads(bins[VALUE_BIN])
    assert document["value"] == {"n": 1}
    assert (document["key"], document["collection"], document["version"]) == ("alice", "users", 1)
    assert document["created_at"] == "2026-01-01T00:00:00.250000+00:00"
    assert document["expires_at"] == "2026-01-01T00:01:00.250000+00:00"


@pytest.mark.parametrize(
    ("bins", "message"),
    [
        ({}, "'value' bin is missing"),
        ({VALUE_BIN: b"{}"}, "'value' bin is a bytes"),
        ({VALUE_BIN: 7}, "'value' bin is a int"),
        ({VALUE_BIN: '{"not": "closed'}, "not valid JSON|JSON"),
        ({VALUE_BIN: '{"value": [1]}'}, "not an object"),
    ],
)
def test_damaged_bins_are_deserialization_errors_naming_the_key(
    bins: dict[str, Any], message: str
) -> None:
    with pytest.raises(DeserializationError, match=message) as raised:
        entry_of_bins(bins, "the-key")
    assert raised.value.key == "the-key"
    assert "closed" not in str(raised.value)


# --- versions -------------------------------------------------------------------------


def test_a_token_names_the_generation_and_the_write_time() -> None:
    bins = record_bins("c", "k", StoredEntry('{"a":1}', NOW, NOW + 10), NULL)
    token = token_of({"gen": 7, "ttl": 11}, bins)
    assert parse_token(token) == Version(7, NOW)
    other = token_of({"gen": 7}, {**bins, CREATED_BIN: NOW + 1})
    assert other != token  # a record written again restarts its generation


def test_a_token_of_a_py_key_value_record_has_no_write_time() -> None:
    token = token_of({"gen": 1}, {VALUE_BIN: PY_KEY_VALUE_DOCUMENT})
    assert parse_token(token) == Version(1, None)


def test_versions_are_tokens_with_the_expiry() -> None:
    """The store's versions are kv.store.TokenVersionMixin's: an expired one is
    refused before its token is read."""
    entry = StoredEntry('{"a":1}', NOW, NOW + 10)
    version = expiring_version(token_of({"gen": 2}, record_bins("c", "k", entry, NULL)), NOW + 10)
    token = live_token(version, NOW)
    assert token is not None
    assert parse_token(token) == Version(2, NOW)
    assert live_token(version, NOW + 10) is None


@pytest.mark.parametrize("token", ["", "x", ":", "7", "x:1.0", "7:nan-ish", ":1.0", "-1:"])
def test_tokens_of_other_forms_match_nothing(token: str) -> None:
    assert parse_token(token) is None


# --- names of listed records ------------------------------------------------------------


DIGEST = bytearray(20)


def test_a_listed_record_is_named_by_its_stored_key() -> None:
    found = found_of_record((("test", "s", "a%3Ab::c::d", DIGEST), {}, {}))
    assert found == Found(("test", "s", None, DIGEST), ("a:b", "c::d"))
    nul = found_of_record((("test", "s", bytearray(b"c::a\x00b"), DIGEST), {}, {}))
    assert nul.names == ("c", "a\x00b")


def test_a_record_without_a_stored_key_is_named_by_its_document() -> None:
    found = found_of_record((("test", "s", None, DIGEST), {}, {VALUE_BIN: PY_KEY_VALUE_DOCUMENT}))
    assert found.names == ("users", "alice")
    unnamed = found_of_record((("test", "s", None, DIGEST), {}, {COLLECTION_BIN: b"x"}))
    assert unnamed.names is None


@pytest.mark.parametrize("stored", [7, "no-separator", bytearray(b"\xff::x")])
def test_keys_kv_did_not_make_name_nothing(stored: object) -> None:
    assert found_of_record((("test", "s", stored, DIGEST), {}, None)).names is None


def test_unnamed_records_are_named_by_documents_in_order() -> None:
    named = Found(("test", "s", "c::k", DIGEST), ("c", "k"))
    first, second = Found(("test", "s", None, DIGEST), None), Found(("t", "s", None, DIGEST), None)
    result = named_by_documents([first, named, second], [PY_KEY_VALUE_DOCUMENT, None])
    assert [item.names for item in result] == [("users", "alice"), ("c", "k"), None]


@pytest.mark.parametrize(
    "document", [None, 3, "not json", '{"collection": "c"}', '{"collection": 1, "key": "k"}']
)
def test_documents_that_name_nothing(document: object) -> None:
    assert names_of_document(document) is None


# --- setup --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "values"),
    [("test\n", ["test"]), ("namespaces\ttest;bar\n", ["test", "bar"]), ("", [])],
)
def test_info_values(answer: str, values: list[str]) -> None:
    assert info_values(answer) == values


def test_setup_problems() -> None:
    assert setup_problem("test", "s", "test;bar\n", None) is None
    assert setup_problem("test", "s", "test\n", "objects=3:tombstones=0;") is None
    missing = setup_problem("nope", "s", "test;bar\n", None)
    assert missing is not None
    assert "namespace 'nope' is not configured" in missing
    no_set = setup_problem("test", "s", "test\n", "")
    assert no_set is not None
    assert "auto_create is off" in no_set
