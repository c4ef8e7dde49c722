"""Secret names: py-key-value's ``collection::key`` for plain names, every other name
encoded reversibly, long ones hashed; listing gives the original names back."""

from __future__ import annotations

import unicodedata

import pytest
from key_value.aio._utils.compound import compound_key as pykv_compound_key

from kv_vault.names import (
    HASHED,
    MAX_COLLECTION_PART,
    MAX_KEY_PART,
    Layout,
    encode_collection,
    encode_key,
    parse_secret_name,
    secret_name,
)

# The odd names of the conformance suite, and more.
ODD = [
    "a\x00b",
    "a\x00c",
    "../../etc/passwd",
    "..",
    ".",
    "'; DROP TABLE kv; --",
    "with space",
    " leading",
    "trailing ",
    "tab\there",
    "line\nbreak",
    "a/b",
    "a/",
    "/a",
    "a//b",
    "?query#fragment",
    "100%",
    "%41",
    "%~abc",
    "~~",
    "a::b",
    "::",
    ":",
    "x:",
    unicodedata.normalize("NFC", "é"),
    unicodedata.normalize("NFD", "é"),
    "鍵",
    "emoji 😀",
    "Case",
    "case",
    "k" * 1500,
    "k" * 1499 + "x",
]


@pytest.mark.parametrize(
    ("collection", "key"),
    [("users", "alice"), ("default_collection", "user:42"), ("c-1_2.3", "a@b.example")],
)
def test_plain_names_are_py_key_value_s_secret_names(collection: str, key: str) -> None:
    assert secret_name(collection, key) == pykv_compound_key(collection=collection, key=key)


def test_other_characters_are_encoded() -> None:
    assert secret_name("a b", "c/d") == "a%20b::c%2Fd"
    assert secret_name("a:b", "c") == "a%3Ab::c"
    assert secret_name("a", "b::c") == "a::b::c"
    assert secret_name("%", "%") == "%25::%25"
    assert secret_name("鍵", "x") == "%E9%8D%B5::x"


def test_names_list_back_exactly() -> None:
    for collection in ["c", *ODD]:
        for key in ["k", *ODD]:
            name = secret_name(collection, key)
            assert "/" not in name
            parsed = parse_secret_name(name)
            assert parsed is not None
            assert parsed.name == name
            assert parsed.collection_part == encode_collection(collection)
            hashed = parsed.collection_part.startswith(HASHED)
            assert parsed.collection == (None if hashed else collection)
            assert parsed.key == (None if encode_key(key).startswith(HASHED) else key)


def test_no_two_pairs_share_a_secret() -> None:
    names = list(dict.fromkeys(["c", "a::b", "a", "b::c", "a:", ":b", *ODD]))
    pairs = [(collection, key) for collection in names for key in names]
    secrets = {secret_name(collection, key) for collection, key in pairs}
    assert len(secrets) == len(pairs)


def test_long_parts_are_hashed_within_a_file_name() -> None:
    name = secret_name("c" * 500, "k" * 1500)
    assert name.startswith(HASHED)
    assert len(name.encode()) <= 255
    assert encode_key("k" * MAX_KEY_PART) == "k" * MAX_KEY_PART
    assert encode_key("k" * (MAX_KEY_PART + 1)).startswith(HASHED)
    assert encode_collection("c" * (MAX_COLLECTION_PART + 1)).startswith(HASHED)
    assert len(secret_name("c" * MAX_COLLECTION_PART, "k" * MAX_KEY_PART).encode()) <= 255


@pytest.mark.parametrize(
    "listed",
    [
        "folder/",
        "no-separator",
        "::key",
        "collection::",
        "a b::c",  # not kv's encoding of ("a b", "c"): another program's secret
        "a::b c",
        "%zz::k",
        "%FF::k",  # not UTF-8
        "a%3a::k",  # lower-case escape: kv writes %3A
        "%41::k",  # "A" escaped needlessly
    ],
)
def test_secrets_that_are_not_entries_are_skipped(listed: str) -> None:
    assert parse_secret_name(listed) is None


def test_layout_paths() -> None:
    top = Layout("secret", "")
    assert top.folder == ""
    assert top.path("users", "alice") == "users::alice"
    nested = Layout("kv/team", "apps/cache")
    assert nested.folder == "apps/cache/"
    assert nested.path("users", "a/b") == "apps/cache/users::a%2Fb"
    assert nested.path_of("users::x") == "apps/cache/users::x"
    assert repr(nested) == "Layout(mount='kv/team', folder='apps/cache/')"
