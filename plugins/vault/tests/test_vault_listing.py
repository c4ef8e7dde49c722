"""Listing: which listed secrets are entries, which are live, the collections they
make, and what cull() deletes, from names as Vault lists them and secrets as
it answers reads of them."""

from __future__ import annotations

import time

from kv.entry import StoredEntry
from kv_vault.listing import by_collection, cull_choice, entries_listed, live_names
from kv_vault.names import SecretName, parse_secret_name, secret_name
from kv_vault.secrets import TOMBSTONE, Secret, secret_data

NOW = time.time()
LONG_KEY = "k" * 1500
LONG_COLLECTION = "c" * 500


def listed(name: str) -> SecretName:
    parsed = parse_secret_name(name)
    assert parsed is not None
    return parsed


def entry(collection: str, key: str, expires_at: float | None = None) -> Secret:
    stored = StoredEntry('{"v":1}', NOW - 10, expires_at)
    return Secret(1, secret_data(stored, collection=collection, key=key))


def test_entries_listed_keeps_kv_entries_in_order() -> None:
    names = [
        "users::bob",
        "folder/",
        "password",
        "users::alice",
        "a b::c",
        "odd%3Aname::x",
        secret_name(LONG_COLLECTION, "k"),
        "other::z",
    ]
    assert [n.name for n in entries_listed(names)] == [
        "users::bob",
        "users::alice",
        "odd%3Aname::x",
        secret_name(LONG_COLLECTION, "k"),
        "other::z",
    ]
    assert [n.key for n in entries_listed(names, "users")] == ["bob", "alice"]
    assert [n.key for n in entries_listed(names, "odd:name")] == ["x"]
    assert [n.name for n in entries_listed(names, LONG_COLLECTION)] == [
        secret_name(LONG_COLLECTION, "k")
    ]
    assert entries_listed(names, "nobody") == []


def test_live_names_leave_out_deleted_expired_and_gone_secrets() -> None:
    read = [
        (listed("c::live"), entry("c", "live")),
        (listed("c::timed"), entry("c", "timed", NOW + 60)),
        (listed("c::expired"), entry("c", "expired", NOW - 1)),
        (listed("c::deleted"), Secret(2, TOMBSTONE)),
        (listed("c::destroyed"), Secret(3, None)),
        (listed("c::gone"), None),
        (listed("c::damaged"), Secret(1, {"value": "{bad"})),
    ]
    assert live_names(read, NOW) == [("c", "live"), ("c", "timed"), ("c", "damaged")]


def test_hashed_names_are_read_from_the_documents() -> None:
    long_key = listed(secret_name("c", LONG_KEY))
    long_collection = listed(secret_name(LONG_COLLECTION, "k"))
    read = [
        (long_key, entry("c", LONG_KEY)),
        (long_collection, entry(LONG_COLLECTION, "k")),
        (listed(secret_name("c", "x" * 1000)), Secret(1, {"value": "{bad"})),
    ]
    assert live_names(read, NOW) == [("c", LONG_KEY), (LONG_COLLECTION, "k")]


def test_by_collection_groups_in_first_seen_order() -> None:
    names = entries_listed(["b::1", "a::1", "b::2", "a::2", "c::1"])
    groups = by_collection(names)
    assert [[n.name for n in group] for group in groups] == [
        ["b::1", "b::2"],
        ["a::1", "a::2"],
        ["c::1"],
    ]
    assert by_collection([]) == []


def test_cull_choice_counts_expired_entries_and_takes_tombstones_along() -> None:
    read = [
        (listed("c::e1"), entry("c", "e1", NOW - 5)),
        (listed("c::live"), entry("c", "live", NOW + 60)),
        (listed("c::t"), Secret(4, TOMBSTONE)),
        (listed("c::e2"), entry("c", "e2", NOW - 0.5)),
        (listed("c::gone"), None),
        (listed("c::damaged"), Secret(1, {"value": "{bad"})),
        (listed("c::e3"), entry("c", "e3", NOW - 1)),
    ]
    doomed, expired = cull_choice(read, NOW, None)
    assert [n.key for n in doomed] == ["e1", "t", "e2", "e3"]
    assert expired == 3
    doomed, expired = cull_choice(read, NOW, 2)
    assert [n.key for n in doomed] == ["e1", "t", "e2"]
    assert expired == 2
    doomed, expired = cull_choice(read, NOW, 0)
    assert [n.key for n in doomed] == ["t"]
    assert expired == 0
