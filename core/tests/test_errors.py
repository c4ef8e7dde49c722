"""Error classes: hierarchy, context in messages, pickling, no secrets."""

from __future__ import annotations

import copy

import pytest

import kv
from kv import errors


def test_every_error_is_a_key_value_error() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, kv.KeyValueError), name


def test_useful_builtin_bases() -> None:
    assert issubclass(errors.StoreConnectionError, ConnectionError)
    assert issubclass(errors.StoreTimeoutError, TimeoutError)
    assert issubclass(errors.InvalidTTLError, ValueError)
    assert issubclass(errors.InvalidKeyError, ValueError)
    assert issubclass(errors.MissingKeyError, KeyError)
    assert issubclass(errors.ArgumentTypeError, TypeError)
    assert issubclass(errors.UnknownSchemeError, LookupError)


def test_message_names_key_collection_and_store() -> None:
    error = errors.DeserializationError(
        "Stored value is broken", key="k", collection="c", store="redis"
    )
    assert str(error) == "Stored value is broken (key='k', collection='c', store=redis)"
    assert "Stored value is broken" in repr(error)


def test_context_is_filled_not_overwritten() -> None:
    error = errors.SerializationError("bad", key="original")
    error.add_context(key="other", collection="c", store="s")
    assert (error.key, error.collection, error.store) == ("original", "c", "s")


def test_very_long_names_are_shortened_in_messages() -> None:
    error = errors.SerializationError("bad", key="k" * 10_000)
    assert len(str(error)) < 300
    assert "10000 characters" in str(error)


@pytest.mark.parametrize(
    "error",
    [
        errors.InvalidTTLError("bad ttl", ttl=0, key="k"),
        errors.EntryTooLargeError("big", size=10, limit=5, key="k"),
        errors.ReadOnlyError(operation="put", key="k"),
        errors.StoreConnectionError("down", store="redis"),
        errors.MissingKeyError("missing", key="k", collection="c"),
    ],
)
def test_errors_copy_with_their_context(error: errors.KeyValueError) -> None:
    duplicate = copy.deepcopy(error)  # goes through __reduce__, as multiprocessing does
    assert type(duplicate) is type(error)
    assert str(duplicate) == str(error)
    assert duplicate.__dict__ == error.__dict__


def test_missing_key_error_message_is_not_quoted() -> None:
    assert str(errors.MissingKeyError("Key not found", key="k")) == "Key not found (key='k')"


def test_missing_key_error_carries_the_operation() -> None:
    error = errors.MissingKeyError("get() found no value for the key", operation="get", key="k")
    assert error.operation == "get"
    assert isinstance(error, KeyError)
