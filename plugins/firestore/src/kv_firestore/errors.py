"""How google-cloud-firestore's exceptions become kv errors, without credentials in any message."""

from __future__ import annotations

from google.api_core import exceptions as google_errors
from google.auth import exceptions as auth_errors

from kv.errors import (
    KeyValueError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)

__all__ = ["translate_error", "unreachable"]

_UNREACHABLE = (google_errors.ServiceUnavailable, google_errors.InternalServerError)
_BUSY = (google_errors.ResourceExhausted, google_errors.TooManyRequests, google_errors.Aborted)


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the service could not be reached (retries included)."""
    if isinstance(error, google_errors.RetryError):
        return error.cause is None or isinstance(error.cause, _UNREACHABLE)
    return isinstance(error, _UNREACHABLE)


def _is_grpc_usage_error(error: BaseException) -> bool:
    """Whether ``error`` is grpc.aio's ``UsageError`` (grpc is google-api-core's
    dependency, not this package's, so it is recognised by name)."""
    kind = type(error)
    return kind.__name__ == "UsageError" and kind.__module__.startswith("grpc")


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0][:300] if str(error) else type(error).__name__


def translate_error(error: Exception, *, where: str) -> KeyValueError | None:
    """The kv error for an exception of the Google client libraries (``None``: not theirs).

    Args:
        error: What a client call raised.
        where: What the store talks to, for messages (never credentials).
    """
    if isinstance(error, google_errors.RetryError):
        cause = error.cause
        if isinstance(cause, _UNREACHABLE) or cause is None:
            return StoreConnectionError(
                f"Cannot reach {where}: still unavailable when the call's timeout ran out"
                f" ({_first_line(cause) if cause else 'no answer'})"
            )
        return StoreTimeoutError(f"{where} did not answer in time: {_first_line(cause)}")
    if isinstance(error, _UNREACHABLE):
        return StoreConnectionError(f"Cannot reach {where}: {_first_line(error)}")
    if _is_grpc_usage_error(error):  # a channel closed under a call (a replaced client)
        return StoreConnectionError(f"The connection to {where} was closed: {error}")
    if isinstance(error, google_errors.DeadlineExceeded):
        return StoreTimeoutError(f"{where} did not answer in time: {_first_line(error)}")
    if isinstance(error, _BUSY):
        return StoreTimeoutError(f"{where} is busy ({type(error).__name__}): {_first_line(error)}")
    if isinstance(error, google_errors.Unauthenticated | google_errors.PermissionDenied):
        return StoreConnectionError(f"{where} refused the credentials ({type(error).__name__})")
    if isinstance(error, google_errors.NotFound):
        return StoreSetupError(f"{where} does not exist: {_first_line(error)}")
    if isinstance(error, auth_errors.DefaultCredentialsError):
        return StoreSetupError(
            f"No Google credentials for {where}: set GOOGLE_APPLICATION_CREDENTIALS, run"
            " 'gcloud auth application-default login', pass credentials=..., or set"
            " FIRESTORE_EMULATOR_HOST for the emulator"
        )
    if isinstance(error, auth_errors.GoogleAuthError):
        return StoreConnectionError(f"Could not authenticate to {where} ({type(error).__name__})")
    if isinstance(error, google_errors.GoogleAPIError):
        return StoreError(f"{where} failed: {_first_line(error)}")
    return None
