"""Secrets: Vault's answers read, entries written as py-key-value writes them and read
back, tombstones, and the check-and-set steps of the conditional writes.

The answers are Vault's documented reply bodies (KV v2 API: read, list, a
read of a deleted version). The check-and-set loops get their reads and
writes as functions: here a :class:`Register` holding one secret's latest
version, with another writer stepping in where a test says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from key_value.aio._utils.managed_entry import ManagedEntry
from key_value.aio._utils.serialization import BasicSerializationAdapter

from kv.entry import StoredEntry
from kv.errors import ConflictError, DeserializationError, StoreError
from kv_vault.secrets import (
    ATTEMPTS,
    TOMBSTONE,
    Secret,
    delete_live,
    document_names,
    entry_of,
    names_from_list,
    parse_token,
    put_if_absent,
    secret_data,
    secret_from_missing,
    secret_from_response,
    state_of,
)

READ_REPLY = {
    "request_id": "6a1e1d1c-0000-0000-0000-000000000000",
    "lease_id": "",
    "renewable": False,
    "lease_duration": 0,
    "data": {
        "data": {"value": '{"collection":"c","key":"k","value":{"v":1},"version":1}'},
        "metadata": {
            "created_time": "2018-03-22T02:24:06.945319214Z",
            "custom_metadata": None,
            "deletion_time": "",
            "destroyed": False,
            "version": 2,
        },
    },
    "wrap_info": None,
    "warnings": None,
    "auth": None,
}

DELETED_REPLY = {
    "data": {
        "data": None,
        "metadata": {
            "created_time": "2018-03-22T02:24:06.945319214Z",
            "custom_metadata": None,
            "deletion_time": "2018-03-22T02:30:00.000000000Z",
            "destroyed": False,
            "version": 3,
        },
    }
}

LIST_REPLY = {"data": {"keys": ["users::alice", "users::bob", "folder/"]}}


def test_a_read_reply() -> None:
    secret = secret_from_response(READ_REPLY)
    assert secret.version == 2
    assert entry_of(secret) is not None
    assert state_of(secret, time.time()) == "live"
    assert document_names(secret) == ("c", "k")


@pytest.mark.parametrize("field", ["deletion_time", "destroyed"])
def test_a_deleted_or_destroyed_version_holds_no_entry(field: str) -> None:
    reply: dict[str, Any] = {
        "data": {"data": {"value": "{}"}, "metadata": {"version": 4, field: "x"}}
    }
    secret = secret_from_response(reply)
    assert secret == Secret(4, None)
    assert entry_of(secret) is None
    assert state_of(secret, time.time()) == "absent"
    assert secret_from_response(DELETED_REPLY) == Secret(3, None)


def test_the_404_reply_of_a_deleted_or_destroyed_version() -> None:
    assert secret_from_missing(DELETED_REPLY) == Secret(3, None)
    destroyed = {"data": {"data": None, "metadata": {"version": 5, "destroyed": True}}}
    assert secret_from_missing(destroyed) == Secret(5, None)
    reply: object
    for reply in (None, {"errors": []}, {"data": None}, {"data": {"metadata": {"version": 0}}}):
        assert secret_from_missing(reply) is None


@pytest.mark.parametrize(
    "reply",
    [None, [], {}, {"data": None}, {"data": {"data": {}}}, {"data": {"metadata": {}}}],
)
def test_a_reply_without_a_version_is_a_store_error(reply: object) -> None:
    with pytest.raises(StoreError, match=r"without data\.metadata\.version"):
        secret_from_response(reply)


@pytest.mark.parametrize("version", [0, -1, "2", 2.0, None, True])
def test_a_reply_with_a_bad_version_is_a_store_error(version: object) -> None:
    with pytest.raises(StoreError, match="with the version"):
        secret_from_response({"data": {"data": {}, "metadata": {"version": version}}})


def test_data_that_is_not_an_object_is_damage() -> None:
    with pytest.raises(DeserializationError, match="data is a list"):
        secret_from_response({"data": {"data": [1], "metadata": {"version": 1}}})


def test_a_list_reply() -> None:
    assert names_from_list(LIST_REPLY) == ["users::alice", "users::bob", "folder/"]
    bad: object
    for bad in (None, {}, {"data": {}}, {"data": {"keys": "a"}}, {"data": {"keys": [1]}}):
        with pytest.raises(StoreError, match="Vault answered a list"):
            names_from_list(bad)


def _entry(value: str = '{"v":1}', expires_at: float | None = None) -> StoredEntry:
    return StoredEntry(value, 1_700_000_000.25, expires_at)


def test_an_entry_round_trips_through_its_secret() -> None:
    entry = _entry('{"name":"Alice","n":[1,2]}', 1_800_000_000.5)
    data = secret_data(entry, collection="users", key="alice")
    assert set(data) == {"value"}
    read = entry_of(Secret(1, data))
    assert read is not None
    assert read.value() == {"name": "Alice", "n": [1, 2]}
    assert read.created_at == pytest.approx(entry.created_at)
    assert read.expires_at == pytest.approx(entry.expires_at)
    assert document_names(Secret(1, data)) == ("users", "alice")


def test_py_key_value_reads_what_kv_writes() -> None:
    expires = time.time() + 600
    data = secret_data(_entry('{"a":1}', expires), collection="users", key="alice")
    theirs = BasicSerializationAdapter().load_json(json_str=data["value"])
    assert dict(theirs.value) == {"a": 1}
    assert theirs.expires_at is not None
    assert theirs.expires_at.timestamp() == pytest.approx(expires, abs=1e-3)


def test_kv_reads_what_py_key_value_writes() -> None:
    """py-key-value's VaultStore writes ``{"value": adapter.dump_json(entry, key=, collection=)}``."""
    now = datetime.now(tz=timezone.utc)
    entry = ManagedEntry(value={"name": "Bob"}, created_at=now, expires_at=now + timedelta(0, 60))
    text = BasicSerializationAdapter().dump_json(entry=entry, key="bob", collection="users")
    secret = Secret(7, {"value": text})
    read = entry_of(secret)
    assert read is not None
    assert read.value() == {"name": "Bob"}
    assert read.expires_at == pytest.approx((now + timedelta(0, 60)).timestamp(), abs=1e-3)
    assert state_of(secret, time.time()) == "live"
    assert state_of(secret, time.time() + 120) == "expired"
    assert document_names(secret) == ("users", "bob")


def test_secrets_without_an_entry() -> None:
    now = time.time()
    for data in (TOMBSTONE, {"password": "hunter2"}, {}):
        secret = Secret(5, data)
        assert entry_of(secret) is None
        assert state_of(secret, now) == "absent"
        assert document_names(secret) is None
    assert entry_of(None) is None
    assert state_of(None, now) == "absent"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"value": 42}, "'value' is a int, not JSON text"),
        ({"value": '{"not": "closed'}, "not valid JSON|JSON"),
        ({"value": "[1, 2]"}, "object"),
        ({"value": '{"key": "k"}'}, "no 'value' field"),
    ],
)
def test_damaged_entries_raise_and_count_as_live(data: Mapping[str, Any], match: str) -> None:
    secret = Secret(2, data)
    with pytest.raises(DeserializationError, match=match):
        entry_of(secret)
    assert state_of(secret, time.time()) == "live"


def test_document_names_of_damaged_or_nameless_documents() -> None:
    assert document_names(Secret(1, {"value": "{bad"})) is None
    assert document_names(Secret(1, {"value": 1})) is None
    assert document_names(Secret(1, {"value": '{"value": {}}'})) is None
    assert (
        document_names(Secret(1, {"value": '{"value": {}, "key": 1, "collection": "c"}'})) is None
    )


@pytest.mark.parametrize(
    ("token", "version"),
    [("1", 1), ("42", 42), ("0", None), ("-1", None), ("x", None), ("", None), ("1.5", None),
     ("٣", None), ("9" * 19, None), (" 1", None)],
)  # fmt: skip
def test_parse_token(token: str, version: int | None) -> None:
    assert parse_token(token) == version


class Register:
    """One secret's latest version as check-and-set sees it, and the writes it took.

    ``meddle`` runs once before the next check-and-set write: another writer
    stepping in between the loop's read and its write.
    """

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self.secret = None if data is None else Secret(1, data)
        self.writes: list[int] = []
        self.meddle: Callable[[], None] | None = None

    def read(self) -> Secret | None:
        return self.secret

    def put(self, data: Mapping[str, Any]) -> None:
        version = 0 if self.secret is None else self.secret.version
        self.secret = Secret(version + 1, data)

    def writer(self, data: Mapping[str, Any]) -> Callable[[int], bool]:
        def write(cas: int) -> bool:
            if self.meddle is not None:
                meddle, self.meddle = self.meddle, None
                meddle()
            self.writes.append(cas)
            current = 0 if self.secret is None else self.secret.version
            if cas != current:
                return False
            self.put(data)
            return True

        return write


LIVE = secret_data(_entry(), collection="c", key="k")
EXPIRED = secret_data(_entry(expires_at=1_700_000_001.0), collection="c", key="k")
NEW = secret_data(_entry('{"v":2}'), collection="c", key="k")


def test_put_if_absent_creates_with_cas_zero() -> None:
    register = Register()
    assert put_if_absent(register.read, register.writer(NEW), time.time())
    assert register.writes == [0]
    assert register.secret == Secret(1, NEW)


@pytest.mark.parametrize("data", [EXPIRED, TOMBSTONE, {}])
def test_put_if_absent_replaces_an_expired_or_deleted_entry(data: Mapping[str, Any]) -> None:
    register = Register(data)
    assert put_if_absent(register.read, register.writer(NEW), time.time())
    assert register.writes == [1]
    assert register.secret == Secret(2, NEW)


@pytest.mark.parametrize("data", [LIVE, {"value": "{damaged"}])
def test_put_if_absent_leaves_a_live_or_damaged_entry(data: Mapping[str, Any]) -> None:
    register = Register(data)
    assert not put_if_absent(register.read, register.writer(NEW), time.time())
    assert register.writes == []


def test_put_if_absent_loses_to_a_writer_that_came_in_between() -> None:
    register = Register()
    register.meddle = lambda: register.put(LIVE)
    assert not put_if_absent(register.read, register.writer(NEW), time.time())
    assert register.writes == [0]
    assert register.secret == Secret(1, LIVE)


def test_put_if_absent_tries_again_after_a_delete_in_between() -> None:
    register = Register(EXPIRED)
    register.meddle = lambda: register.put(TOMBSTONE)
    assert put_if_absent(register.read, register.writer(NEW), time.time())
    assert register.writes == [1, 2]
    assert register.secret == Secret(3, NEW)


def test_delete_live_writes_a_tombstone_on_the_version_read() -> None:
    register = Register(LIVE)
    assert delete_live(register.read, register.writer(TOMBSTONE), time.time())
    assert register.writes == [1]
    assert register.secret == Secret(2, TOMBSTONE)
    assert not delete_live(register.read, register.writer(TOMBSTONE), time.time())
    assert register.writes == [1]


@pytest.mark.parametrize("data", [None, EXPIRED, TOMBSTONE])
def test_delete_live_of_nothing_live_writes_nothing(data: Mapping[str, Any] | None) -> None:
    register = Register(data)
    assert not delete_live(register.read, register.writer(TOMBSTONE), time.time())
    assert register.writes == []


def test_of_two_racing_deletes_one_wins() -> None:
    register = Register(LIVE)
    # The other delete's tombstone lands between this one's read and write.
    register.meddle = lambda: register.put(TOMBSTONE)
    assert not delete_live(register.read, register.writer(TOMBSTONE), time.time())
    assert register.writes == [1]


def test_delete_live_deletes_what_a_put_in_between_wrote() -> None:
    register = Register(LIVE)
    register.meddle = lambda: register.put(NEW)
    assert delete_live(register.read, register.writer(TOMBSTONE), time.time())
    assert register.writes == [1, 2]
    assert register.secret == Secret(3, TOMBSTONE)


def test_conditional_writes_give_up_after_many_conflicts() -> None:
    def refused(cas: int) -> bool:
        return False

    def expired() -> Secret:
        return Secret(1, EXPIRED)

    def live() -> Secret:
        return Secret(1, LIVE)

    with pytest.raises(ConflictError, match=f"after {ATTEMPTS}"):
        put_if_absent(expired, refused, time.time())
    with pytest.raises(ConflictError, match=f"after {ATTEMPTS}"):
        delete_live(live, refused, time.time())
