"""The aerospike client's errors as kv errors, by their status code.

The client raises a subclass of ``aerospike.exception.AerospikeError`` whose
``code`` is the C client's ``as_status``; a batch call reports a code per
record instead. Both go through :func:`error_for_code`. Messages name the
server's complaint and what to do, never a password or a stored value.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from kv.errors import (
    KeyValueError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)

__all__ = [
    "CONNECTION_CODES",
    "EXPLAINED",
    "FILTERED_OUT",
    "GENERATION_MISMATCH",
    "OK",
    "RECORD_EXISTS",
    "RECORD_NOT_FOUND",
    "TIMEOUT_CODES",
    "batch_results",
    "error_for_code",
    "translate_error",
]

OK = 0
RECORD_NOT_FOUND = 2
GENERATION_MISMATCH = 3
RECORD_EXISTS = 5
FILTERED_OUT = 27

CONNECTION_CODES = frozenset(
    {
        -10,  # ConnectionError: no connection could be made or it broke
        -8,  # InvalidNodeError: no node of the cluster is reachable
        -7,  # NoMoreConnectionsError
        -6,  # AsyncConnectionError
        -4,  # InvalidHostError: the host name does not resolve
        -9,  # TLSError
        -14,  # MaxErrorRateExceeded: the client's circuit breaker for a failing node
        -15,  # NoResponse
        7,  # ClusterChangeError
        11,  # ClusterError
    }
)
"""Codes of a server that cannot be reached (:class:`~kv.errors.StoreConnectionError`)."""

TIMEOUT_CODES = frozenset(
    {
        9,  # TimeoutError
        -12,  # MaxRetriesExceeded
        14,  # RecordBusy: too many writes of one key wait on the server
        212,  # QueryTimeout
    }
)
"""Codes of a server that did not answer in time (:class:`~kv.errors.StoreTimeoutError`)."""

_SETUP = {
    20: "the namespace is not configured on the server (namespaces are set in aerospike.conf)",
    22: "the server forbids the write (a record TTL needs the namespace's nsup-period > 0)",
    51: "the server has no security: connect without user and password",
    52: "security is not enabled on the server: connect without user and password",
    60: "the server refused the user or password",
    62: "the server refused the user or password",
    63: "the user's password has expired",
    65: "the server refused the user or password",
    80: "the client is not authenticated: give user and password",
    82: "the server does not allow connections from this address",
}
_REFUSED = {
    4: "the server refused the request's parameters",
    8: "the namespace is full (stop-writes)",
    13: "the record is larger than the server's max-record-size",
    18: "the server's storage is overloaded",
    81: "the user's roles do not allow this",
}

EXPLAINED: dict[int, tuple[type[KeyValueError], str]] = {
    **{code: (StoreSetupError, text) for code, text in _SETUP.items()},
    **{code: (StoreError, text) for code, text in _REFUSED.items()},
}
"""Codes with an explanation: a store the server does not accept
(:class:`~kv.errors.StoreSetupError`), or a command it refuses."""


def error_for_code(code: int, message: str | None = None) -> KeyValueError:
    """The kv error of an Aerospike status ``code`` (``message``: the client's text)."""
    detail = f" ({message})" if message else ""
    if code in CONNECTION_CODES:
        return StoreConnectionError(f"Cannot reach the Aerospike cluster{detail}")
    if code in TIMEOUT_CODES:
        return StoreTimeoutError(f"The Aerospike cluster did not answer in time{detail}")
    kind, explanation = EXPLAINED.get(code, (StoreError, ""))
    return kind(f"Aerospike error {code}{': ' if explanation else ''}{explanation}{detail}")


def _message(error: Exception) -> str | None:
    """The client's message of an error (set by the client, or its second argument)."""
    message = getattr(error, "msg", None)
    if isinstance(message, str):
        return message
    if len(error.args) > 1 and isinstance(error.args[1], str):
        return error.args[1]
    return None


def translate_error(error: Exception) -> KeyValueError | None:
    """The kv error of an exception the aerospike client raised (``None`` for others)."""
    from aerospike import exception

    if not isinstance(error, exception.AerospikeError):
        return None
    code = getattr(error, "code", None)
    if not isinstance(code, int):
        return StoreError(f"The aerospike client raised {type(error).__name__}")
    return error_for_code(code, _message(error))


def batch_results(answer: Any, allowed: Collection[int]) -> list[tuple[int, Any]]:
    """``(result, record)`` of each record of a batch command's ``BatchRecords``.

    Raises:
        KeyValueError: a record's result is not one of ``allowed`` (the first
            such record's code decides the error), or the batch as a whole
            failed.
    """
    results = [(int(record.result), record.record) for record in answer.batch_records]
    for record in answer.batch_records:
        if record.result not in allowed:
            raise error_for_code(int(record.result), record.message)
    overall = int(answer.result)
    if overall != OK:
        raise error_for_code(overall)
    return results
