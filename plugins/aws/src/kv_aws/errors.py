"""How botocore's exceptions become kv errors, without credentials in any message."""

from __future__ import annotations

from botocore import exceptions as botocore_errors

from kv.errors import (
    KeyValueError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)

__all__ = ["error_code", "translate_error"]

_MISSING = frozenset({"ResourceNotFoundException", "NoSuchBucket", "NoSuchTable"})
_REFUSED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "MissingAuthenticationTokenException",
    }
)
_THROTTLED = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "TooManyRequestsException",
    }
)


def error_code(error: BaseException) -> str | None:
    """The service's error code of a ``ClientError`` (``"ConditionalCheckFailedException"``),
    else ``None``."""
    if isinstance(error, botocore_errors.ClientError):
        return str(error.response.get("Error", {}).get("Code", "")) or None
    return None


def translate_error(error: Exception, *, where: str) -> KeyValueError | None:
    """The kv error for an exception of botocore or aiobotocore (``None``: not theirs).

    Args:
        error: What a client call raised.
        where: What the store talks to, for messages (``"the DynamoDB table
            'kv'"``); never credentials.
    """
    code = error_code(error)
    if code is not None:
        message = str(error)
        if code in _MISSING:
            return StoreSetupError(f"{where} does not exist ({code}): {message}")
        if code in _REFUSED:
            return StoreConnectionError(f"{where} refused the credentials ({code})")
        if code in _THROTTLED:
            return StoreTimeoutError(f"{where} is throttling requests ({code}): {message}")
        return StoreError(f"{where} failed: {message}")
    if isinstance(
        error, botocore_errors.NoCredentialsError | botocore_errors.PartialCredentialsError
    ):
        return StoreSetupError(
            f"No AWS credentials for {where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,"
            " AWS_PROFILE, or the store's aws_access_key_id and aws_secret_access_key options"
        )
    if isinstance(error, botocore_errors.NoRegionError):
        return StoreSetupError(
            f"No AWS region for {where}: set AWS_REGION or the store's region option (?region=)"
        )
    if isinstance(error, botocore_errors.ConnectTimeoutError | botocore_errors.ReadTimeoutError):
        return StoreTimeoutError(f"{where} did not answer in time: {error}")
    if isinstance(
        error,
        botocore_errors.EndpointConnectionError
        | botocore_errors.ConnectionClosedError
        | botocore_errors.HTTPClientError,
    ):
        return StoreConnectionError(f"Cannot reach {where}: {error}")
    if isinstance(error, botocore_errors.BotoCoreError):
        return StoreError(f"{where} failed: {error}")
    return None
