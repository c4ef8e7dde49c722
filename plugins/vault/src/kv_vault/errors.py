"""hvac's and requests' exceptions as kv errors.

Messages are built from Vault's error texts and the HTTP status, never from
the exception's text, which names the request's URL; the token is never in
either.
"""

from __future__ import annotations

from hvac import exceptions as vault

from kv.errors import (
    KeyValueError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)

__all__ = ["is_cas_mismatch", "is_upgrading", "translate_error", "vault_errors"]

_STATUS = {
    vault.InvalidRequest: 400,
    vault.Unauthorized: 401,
    vault.Forbidden: 403,
    vault.InvalidPath: 404,
    vault.RateLimitExceeded: 429,
    vault.InternalServerError: 500,
    vault.VaultNotInitialized: 501,
    vault.BadGateway: 502,
    vault.VaultDown: 503,
}


def vault_errors(error: vault.VaultError) -> str:
    """Vault's error texts of a failed request, joined (never its URL)."""
    errors = error.errors
    if isinstance(errors, str):
        return errors[:300]
    if isinstance(errors, list) and errors:
        return "; ".join(str(text) for text in errors)[:300]
    return "no error text"


def is_cas_mismatch(error: Exception) -> bool:
    """Whether Vault refused a write because its check-and-set version did not match."""
    return isinstance(error, vault.InvalidRequest) and "check-and-set" in vault_errors(error)


def is_upgrading(error: Exception) -> bool:
    """Whether a KV engine refused a request while it sets itself up (a fresh mount)."""
    return isinstance(error, vault.VaultError) and "pgrading" in vault_errors(error)


# requests' exceptions by class name: kv-vault imports hvac, not requests.
_CONNECTION = frozenset({"ConnectionError", "SSLError", "ProxyError", "ChunkedEncodingError"})
_TIMEOUT = frozenset({"Timeout", "ConnectTimeout", "ReadTimeout"})


def _requests_kind(error: Exception) -> str | None:
    names = {
        cls.__name__
        for cls in type(error).__mro__
        if cls.__module__.split(".")[0] in ("requests", "urllib3")
    }
    if names & _TIMEOUT:
        return "timeout"
    if names & _CONNECTION:
        return "connection"
    return None


def translate_error(error: Exception, *, where: str) -> KeyValueError | None:
    """The kv error of an exception of hvac (or requests, under it); ``None`` for
    others. ``where`` names the server (``Vault at host:8200``), never the token."""
    if isinstance(error, vault.VaultError):
        status = _STATUS.get(type(error))
        said = vault_errors(error)
        shown = f"{status}: {said}" if status else said
        if isinstance(error, (vault.VaultDown, vault.BadGateway)):
            return StoreConnectionError(f"{where} is unavailable (sealed or down): {shown}")
        if isinstance(error, (vault.Unauthorized, vault.Forbidden)):
            return StoreSetupError(
                f"{where} refused the token ({shown}); check the token and its policy"
            )
        if isinstance(error, vault.InvalidPath):
            return StoreSetupError(
                f"{where} has no such path ({shown}); is a KV version 2 engine mounted?"
            )
        return StoreError(f"{where} refused the request ({shown})")
    kind = _requests_kind(error)
    if kind == "timeout":
        return StoreTimeoutError(f"{where} did not answer in time ({type(error).__name__})")
    if kind == "connection":
        return StoreConnectionError(f"Cannot reach {where} ({type(error).__name__})")
    return None
