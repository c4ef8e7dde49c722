"""aetcd's and grpc's exceptions as kv errors.

aetcd raises its own exceptions (``aetcd.exceptions``) for the calls it
wraps; a paged range read (:meth:`kv_etcd.client.Endpoints.range`) talks to
the KV service stub directly and sees grpc's :class:`grpc.aio.AioRpcError`,
so both are mapped here, by what they mean. Messages name the server's
address, never a password.
"""

from __future__ import annotations

from aetcd import exceptions, rpc  # type: ignore[import-untyped]

from kv.errors import (
    KeyValueError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)

__all__ = ["is_lease_gone", "is_token_expired", "is_unreachable", "translate_error"]

_UNREACHABLE = (rpc.StatusCode.UNAVAILABLE,)
_TIMEOUT = (rpc.StatusCode.DEADLINE_EXCEEDED,)
_REFUSED = (rpc.StatusCode.UNAUTHENTICATED, rpc.StatusCode.PERMISSION_DENIED)
# etcd answers a wrong password or a missing user with INVALID_ARGUMENT.
_REFUSED_DETAILS = (
    "authentication failed",
    "invalid auth token",
    "user name is empty",
    "permission denied",
    "authentication is not enabled",
)


def _code(error: BaseException) -> object:
    """The grpc status code behind an aetcd or grpc error, if there is one."""
    for candidate in (error, error.__cause__):
        if isinstance(candidate, rpc.AioRpcError):
            return candidate.code()
    return None


def _details(error: BaseException) -> str:
    for candidate in (error.__cause__, error):
        if isinstance(candidate, rpc.AioRpcError):
            return str(candidate.details() or candidate.code().name)
    return str(error)


def is_unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the server could not be reached (another member may be)."""
    return isinstance(error, exceptions.ConnectionFailedError) or _code(error) in _UNREACHABLE


def is_lease_gone(error: BaseException) -> bool:
    """Whether ``error`` is etcd refusing a write whose lease no longer exists."""
    return "lease not found" in _details(error)


def is_token_expired(error: BaseException) -> bool:
    """Whether etcd refused a request because its authentication token has expired."""
    return "invalid auth token" in _details(error)


def translate_error(error: Exception, *, where: str) -> KeyValueError | None:
    """``error`` as a kv error, or ``None`` if it is not aetcd's or grpc's."""
    if not isinstance(error, (exceptions.ClientError, rpc.AioRpcError)):
        return None
    details = _details(error)
    code = _code(error)
    if is_unreachable(error):
        return StoreConnectionError(f"{where} cannot be reached ({details})")
    if isinstance(error, exceptions.ConnectionTimeoutError) or code in _TIMEOUT:
        return StoreTimeoutError(f"{where} did not answer in time ({details})")
    if (
        isinstance(error, exceptions.UnauthenticatedError)
        or code in _REFUSED
        or any(reason in details for reason in _REFUSED_DETAILS)
    ):
        return StoreSetupError(f"{where} refused the credentials or the access ({details})")
    return StoreError(f"{where} refused the call: {details}")
