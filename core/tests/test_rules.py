"""Unit tests of the rules: values, TTLs, names and the stored document."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

from kv import DeserializationError, InvalidKeyError, InvalidTTLError, SerializationError
from kv.entry import StoredEntry, decode_document, encode_document
from kv.names import (
    compound_key,
    decode_path_segment,
    encode_path_segment,
    split_compound_key,
    validate_key,
)
from kv.ttl import MAX_TTL_SECONDS, validate_ttl
from kv.values import dump_value, load_value


def test_value_json_is_compact_ascii() -> None:
    assert dump_value({"a": "é", "b": [1, 2]}) == '{"a":"\\u00e9","b":[1,2]}'


def test_deeply_nested_value_is_a_serialization_error() -> None:
    value: dict[str, object] = {}
    node = value
    for _ in range(100_000):
        child: dict[str, object] = {}
        node["n"] = child
        node = child
    with pytest.raises(SerializationError, match="nested more than 64 levels"):
        dump_value(value)


def test_shared_sub_objects_are_fine() -> None:
    shared = [1, 2]
    assert load_value(dump_value({"a": shared, "b": shared})) == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize("text", ["[1]", "1", "not json", '{"a":'])
def test_loading_anything_but_an_object_fails(text: str) -> None:
    with pytest.raises(DeserializationError):
        load_value(text)


@pytest.mark.parametrize("ttl", [1, 0.001, Decimal("2.5"), MAX_TTL_SECONDS])
def test_valid_ttl(ttl: object) -> None:
    assert validate_ttl(ttl) == float(ttl)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "ttl", [0, -1, True, False, math.nan, math.inf, -math.inf, MAX_TTL_SECONDS * 2, "1", b"1", [1]]
)
def test_invalid_ttl(ttl: object) -> None:
    with pytest.raises(InvalidTTLError) as caught:
        validate_ttl(ttl)  # type: ignore[arg-type]
    assert caught.value.ttl is ttl


def test_none_ttl() -> None:
    assert validate_ttl(None) is None


@pytest.mark.parametrize(
    ("collection", "key"),
    [("a", "b"), ("a::b", "c"), ("a", "b::c"), ("%3A", "x"), ("a:", ":b"), ("", "")],
)
def test_compound_key_round_trip(collection: str, key: str) -> None:
    assert split_compound_key(compound_key(collection, key)) == (collection, key)


def test_compound_key_is_unambiguous_and_compatible() -> None:
    assert compound_key("a::b", "c") != compound_key("a", "b::c")
    assert compound_key("users", "alice") == "users::alice"  # py-key-value's layout


@pytest.mark.parametrize("name", ["..", ".", "a/b", "a\x00b", "鍵", "~x", "UPPER", "a.2Eb"])
def test_path_segment_round_trip(name: str) -> None:
    encoded = encode_path_segment(name)
    assert encoded not in (".", "..")
    assert "/" not in encoded
    assert "\x00" not in encoded
    assert decode_path_segment(encoded) == name


def test_long_path_segment_is_hashed() -> None:
    encoded = encode_path_segment("x" * 500)
    assert encoded.startswith("~")
    assert decode_path_segment(encoded) is None
    assert encode_path_segment("x" * 500) != encode_path_segment("x" * 499 + "y")


def test_key_rules() -> None:
    assert validate_key("k") == "k"
    with pytest.raises(InvalidKeyError):
        validate_key("")
    with pytest.raises(InvalidKeyError):
        validate_key("\ud800")
    with pytest.raises(InvalidKeyError):
        validate_key(1)


def test_document_round_trip() -> None:
    entry = StoredEntry('{"a":1}', 1_700_000_000.5, 1_700_000_100.25)
    document = encode_document(entry, collection="c::x", key="k")
    parsed = json.loads(document)
    assert list(parsed) == sorted(parsed)
    assert parsed["value"] == {"a": 1}
    assert parsed["version"] == 1
    assert parsed["created_at"].endswith("+00:00")
    back = decode_document(document)
    assert back.value() == {"a": 1}
    assert back.created_at == pytest.approx(entry.created_at)
    assert back.expires_at == pytest.approx(entry.expires_at)


def test_document_without_expiry_has_no_expires_at() -> None:
    document = encode_document(StoredEntry("{}", 1.0, None), collection="c", key="k")
    assert "expires_at" not in json.loads(document)


@pytest.mark.parametrize(
    "document",
    [
        b"\x80\x81",
        "not json",
        "[]",
        "{}",
        '{"value": [1]}',
        '{"value": "not an object"}',
        '{"value": {}, "expires_at": 5}',
        '{"value": {}, "created_at": "yesterday"}',
    ],
)
def test_corrupt_documents(document: str | bytes) -> None:
    with pytest.raises(DeserializationError):
        decode_document(document)


def test_older_documents_are_read() -> None:
    old = '{"created_at": "2025-01-01T00:00:00", "ttl": null, "value": "{\\"a\\": 1}"}'
    entry = decode_document(old)
    assert entry.value() == {"a": 1}
    assert entry.expires_at is None
