"""Usernames: unique even where case is ignored, short, printable, reserved ones apart."""

from __future__ import annotations

import itertools

import pytest

from kv_conformance.cases import ODD_NAMES
from kv_keyring.naming import (
    ROOT_USERNAME,
    chunk_username,
    entry_username,
    escape_name,
    index_username,
    legacy_username,
    unescape_name,
)

NAMES = list(
    dict.fromkeys(
        [
            *ODD_NAMES.values(),
            "a",
            "A",
            "%41",
            "%2541",
            "~" + "0" * 63,
            "kv:index:x",
            "kv:collections",
            "default_collection",
            "É",
            "é",
            "ǅ",
            "ß",
            "SS",
        ]
    )
)


@pytest.mark.parametrize("name", NAMES)
def test_escape_round_trips(name: str) -> None:
    assert unescape_name(escape_name(name)) == name


def test_usernames_are_unique_ignoring_case() -> None:
    pairs = list(itertools.product(NAMES, NAMES))
    usernames = {entry_username(collection, key).casefold() for collection, key in pairs}
    assert len(usernames) == len(pairs)


def test_usernames_are_short_and_printable() -> None:
    for collection, key in itertools.product(NAMES, NAMES):
        username = entry_username(collection, key)
        assert len(username) < 256
        assert username.isascii()
        assert username.isprintable()


def test_bookkeeping_usernames_never_clash_with_entries() -> None:
    reserved = {ROOT_USERNAME, chunk_username("ab12", 3)} | {index_username(c) for c in NAMES}
    for username in reserved:
        assert "::" not in username
    for collection, key in itertools.product(NAMES, NAMES):
        assert "::" in entry_username(collection, key)
        legacy = legacy_username(collection, key)
        assert legacy is None or "::" in legacy


def test_ordinary_names_are_py_key_value_usernames() -> None:
    assert entry_username("default_collection", "token") == "default_collection::token"
    assert entry_username("sessions/v1", "abc-1.2") == "sessions/v1::abc-1.2"
    assert legacy_username("default_collection", "token") is None


def test_other_names_are_escaped_and_keep_a_legacy_lookup() -> None:
    assert entry_username("oauth", "accessToken") == "oauth::access%54oken"
    assert legacy_username("oauth", "accessToken") == "oauth::accessToken"
    assert legacy_username("c", "a\x00b") is None  # py-key-value could not have written it
    assert legacy_username("c", "k" * 1000) is None


def test_long_names_are_hashed() -> None:
    username = entry_username("c" * 500, "k" * 500)
    collection_part, key_part = username.split("::")
    assert collection_part.startswith("~")
    assert key_part.startswith("~")
    assert entry_username("c" * 500, "k" * 501) != username
