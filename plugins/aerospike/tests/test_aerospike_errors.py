"""The client's exceptions and batch results as kv errors, and the policies and
filter expressions the store sends, without a server."""

from __future__ import annotations

from typing import Any

import aerospike
import pytest
from aerospike import exception
from aerospike_helpers.batch import records as batch  # type: ignore[import-untyped]

from kv.errors import (
    KeyValueError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)
from kv_aerospike.errors import (
    FILTERED_OUT,
    OK,
    RECORD_NOT_FOUND,
    batch_results,
    error_for_code,
    translate_error,
)
from kv_aerospike.policies import (
    collection_filter,
    create_policy,
    expired_filter,
    live_filter,
    remove_policy,
    version_policy,
    write_policy,
)
from kv_aerospike.records import COLLECTION_BIN, CREATED_BIN, EXPIRES_BIN, NEVER_EXPIRE


def raised(kind: type[Exception], message: str = "the server said so") -> Exception:
    """An exception as the client raises it: (code, message, file, line, in_doubt)."""
    code = getattr(kind, "code", None)
    return kind(code, message, "src/main/aerospike/as_command.c", 1, False)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (exception.ConnectionError, StoreConnectionError),  # type: ignore[attr-defined]
        (exception.InvalidNodeError, StoreConnectionError),  # type: ignore[attr-defined]
        (exception.ClusterError, StoreConnectionError),
        (exception.NoMoreConnectionsError, StoreConnectionError),  # type: ignore[attr-defined]
        (exception.MaxErrorRateExceeded, StoreConnectionError),  # type: ignore[attr-defined]
        (exception.TLSError, StoreConnectionError),  # type: ignore[attr-defined]
        (exception.TimeoutError, StoreTimeoutError),
        (exception.MaxRetriesExceeded, StoreTimeoutError),  # type: ignore[attr-defined]
        (exception.RecordBusy, StoreTimeoutError),
        (exception.QueryTimeout, StoreTimeoutError),
        (exception.NamespaceNotFound, StoreSetupError),
        (exception.InvalidPassword, StoreSetupError),
        (exception.NotAuthenticated, StoreSetupError),
        (exception.ForbiddenError, StoreSetupError),
        (exception.RecordTooBig, StoreError),
        (exception.ServerFull, StoreError),
        (exception.ParamError, StoreError),
        (exception.UDFError, StoreError),
    ],
)
def test_client_exceptions(kind: type[Exception], expected: type[KeyValueError]) -> None:
    error = translate_error(raised(kind))
    assert type(error) is expected
    assert "the server said so" in str(error)


def test_a_connection_error_raised_by_the_client() -> None:
    with pytest.raises(exception.ConnectionError) as caught:  # type: ignore[attr-defined]
        aerospike.client({"hosts": [("127.0.0.1", 1)], "connect_timeout": 500})
    error = translate_error(caught.value)
    assert isinstance(error, StoreConnectionError)
    assert "Failed to connect" in str(error)


def test_messages_say_what_to_do() -> None:
    assert "aerospike.conf" in str(translate_error(raised(exception.NamespaceNotFound)))
    assert "nsup-period" in str(translate_error(raised(exception.ForbiddenError)))
    assert "max-record-size" in str(translate_error(raised(exception.RecordTooBig)))


def test_an_error_without_code_or_message() -> None:
    assert str(translate_error(exception.AerospikeError())) == (
        "The aerospike client raised AerospikeError"
    )
    assert "(" not in str(translate_error(exception.TimeoutError()))


def test_other_exceptions_are_left_to_the_base() -> None:
    assert translate_error(ValueError("x")) is None
    assert translate_error(OSError("x")) is None


def test_unknown_codes_are_store_errors() -> None:
    error = error_for_code(4242)
    assert type(error) is StoreError
    assert str(error) == "Aerospike error 4242"


# --- batch results -----------------------------------------------------------------------


def answer(*results: int, overall: int = OK) -> Any:
    """A batch command's answer, as the client fills it in."""
    records = []
    for index, result in enumerate(results):
        record = batch.Write(("test", "s", f"k{index}"), [])
        record.result = result
        record.record = None if result else (record.key, {"gen": 1}, {})
        record.message = "per-record message" if result not in (OK, RECORD_NOT_FOUND) else None
        records.append(record)
    answered = batch.BatchRecords(records)
    answered.result = overall
    return answered


def test_batch_results_in_order() -> None:
    results = batch_results(answer(OK, RECORD_NOT_FOUND, FILTERED_OUT), (OK, 2, 27))
    assert [result for result, _ in results] == [OK, RECORD_NOT_FOUND, FILTERED_OUT]
    assert results[0][1] is not None
    assert results[1][1] is None


def test_a_failed_record_fails_the_batch() -> None:
    with pytest.raises(StoreError, match=r"max-record-size.*per-record message"):
        batch_results(answer(OK, 13), (OK,))
    with pytest.raises(StoreTimeoutError):
        batch_results(answer(OK, 9, overall=9), (OK, RECORD_NOT_FOUND))


def test_a_failed_batch_fails_even_when_its_records_look_fine() -> None:
    with pytest.raises(StoreConnectionError):
        batch_results(answer(OK, overall=-10), (OK,))


# --- policies and filter expressions ---------------------------------------------------------


def bins_and_values(expression: list[Any]) -> list[object]:
    """The bin names and values a compiled expression names, in order."""
    named: list[object] = []
    for _op, _kind, arguments, _count in expression:
        if isinstance(arguments, dict):
            named.extend(value for key, value in arguments.items() if key in ("bin", "val"))
    return named


def test_write_policies() -> None:
    assert write_policy(None) == {"key": aerospike.POLICY_KEY_SEND, "ttl": NEVER_EXPIRE}
    assert write_policy(0.5) == {"key": aerospike.POLICY_KEY_SEND, "ttl": 2}
    assert create_policy(10) == {
        "key": aerospike.POLICY_KEY_SEND,
        "ttl": 11,
        "exists": aerospike.POLICY_EXISTS_CREATE,
    }


def test_a_version_policy_checks_generation_and_write_time() -> None:
    policy = version_policy(None, 12.5)
    assert policy["gen"] == aerospike.POLICY_GEN_EQ
    assert policy["exists"] == aerospike.POLICY_EXISTS_UPDATE
    assert policy["key"] == aerospike.POLICY_KEY_SEND
    assert bins_and_values(policy["expressions"]) == [CREATED_BIN, 12.5]
    legacy = version_policy(None, None)  # a py-key-value record: no created bin
    assert bins_and_values(legacy["expressions"]) == [CREATED_BIN]


def test_a_remove_policy_checks_generation_and_write_time() -> None:
    policy = remove_policy(7, 12.5)
    assert (policy["gen"], policy["generation"]) == (aerospike.POLICY_GEN_EQ, 7)
    assert bins_and_values(policy["expressions"]) == [CREATED_BIN, 12.5]


def test_filters() -> None:
    assert bins_and_values(live_filter(5.0)) == [EXPIRES_BIN, EXPIRES_BIN, 5.0]
    assert bins_and_values(expired_filter(5.0)) == [EXPIRES_BIN, 5.0]
    assert bins_and_values(collection_filter("c\x00", 5.0)) == [
        EXPIRES_BIN,
        EXPIRES_BIN,
        5.0,
        COLLECTION_BIN,
        COLLECTION_BIN,
        bytearray(b"c\x00"),
    ]
