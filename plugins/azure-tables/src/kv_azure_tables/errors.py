"""How azure-core's and the Tables service's errors become kv errors, with no secret in them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

from kv.errors import (
    KeyValueError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)

__all__ = ["error_code", "scrub", "table_is_missing", "translate_error"]

_REFUSED = frozenset(
    {"AuthenticationFailed", "AuthorizationFailure", "InsufficientAccountPermissions", "Forbidden"}
)
_BUSY = frozenset({"ServerBusy", "OperationTimedOut", "TooManyRequests"})
_SIGNED = re.compile(r"(?i)\b(sig|accountkey|sharedaccesssignature)=[^&;\s'\"]+")


def error_code(error: BaseException) -> str | None:
    """The service's error code (``"ResourceNotFound"``, ``"TableNotFound"``), else ``None``."""
    code = getattr(error, "error_code", None)
    return None if code is None else str(getattr(code, "value", code))


def table_is_missing(error: BaseException) -> bool:
    """Whether ``error`` says that the table does not exist."""
    return isinstance(error, HttpResponseError) and error_code(error) == "TableNotFound"


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with signatures, account keys and each of ``secrets`` masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _SIGNED.sub(lambda match: f"{match.group(1)}=***", text)


def _said(error: BaseException, secrets: Iterable[str | None]) -> str:
    """The first line of the service's message (the rest is request ids and the body)."""
    message = getattr(error, "message", None) or str(error)
    first = str(message).strip().splitlines()[0] if str(message).strip() else type(error).__name__
    return scrub(first, secrets)


def translate_error(
    error: Exception, *, where: str, secrets: Iterable[str | None] = ()
) -> KeyValueError | None:
    """The kv error for an exception of azure-core or the service (``None``: not theirs).

    Args:
        error: What a client call raised.
        where: What the store talks to, for messages (the table, account and
            endpoint); never a credential.
        secrets: Texts to mask should a message quote them.
    """
    if not isinstance(error, AzureError):
        return None
    if isinstance(error, ServiceRequestTimeoutError | ServiceResponseTimeoutError):
        return StoreTimeoutError(f"The {where} did not answer in time")
    if isinstance(error, ServiceRequestError | ServiceResponseError):
        return StoreConnectionError(f"Cannot reach the {where}: {_said(error, secrets)}")
    if not isinstance(error, HttpResponseError):
        return StoreError(f"The {where} failed: {_said(error, secrets)}")
    code = error_code(error)
    status = error.status_code
    if code == "TableNotFound":
        return StoreSetupError(f"The {where} does not exist (auto_create is off)")
    if isinstance(error, ClientAuthenticationError) or code in _REFUSED or status in (401, 403):
        return StoreConnectionError(f"The {where} refused the credentials ({code or status})")
    if code in _BUSY or status in (408, 429, 503):
        return StoreTimeoutError(f"The {where} is busy ({code or status}): try again later")
    return StoreError(f"The {where} failed ({status} {code}): {_said(error, secrets)}")
