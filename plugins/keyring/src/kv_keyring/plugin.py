"""The declaration of ``keyring://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports :mod:`keyring` or
:mod:`kv_keyring.store`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kv.checks import optional, positive_seconds
from kv.errors import InvalidURLError
from kv.options import DEFAULT_INLINE_BUDGET
from kv.plugin import Capabilities, CommonOptions, StorePlugin, checks, option
from kv.url import StoreURL

__all__ = [
    "DEFAULT_MAX_CHUNKS",
    "DEFAULT_SERVICE",
    "KEYRING_CAPABILITIES",
    "MIN_VALUE_CHARS",
    "PLUGIN",
    "KeyringOptions",
]

DEFAULT_SERVICE = "kv"
"""The service name of ``keyring://`` without one."""

DEFAULT_MAX_CHUNKS = 64
"""Most keyring entries one value is split across, by default."""

MIN_VALUE_CHARS = 256
"""Smallest ``max_value_chars`` accepted (a chunk manifest must fit)."""

_MAX_SERVICE_LENGTH = 256

KEYRING_CAPABILITIES = Capabilities.every_operation(persistent=True, atomic=True)
"""What :class:`kv_keyring.store.KeyringStore` can do (its class uses this value).

An instance whose keyring limits the size of one entry and that may not
split a value across more than ``max_chunks`` entries also sets
``max_value_size``.
"""


def _service(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty str")
    if len(value) > _MAX_SERVICE_LENGTH or not value.isprintable():
        raise ValueError(f"must be at most {_MAX_SERVICE_LENGTH} printable characters")
    return value


def _backend(value: object) -> object:
    if value is None:
        return None
    from keyring.backend import KeyringBackend  # only when a store is built

    if not isinstance(value, KeyringBackend):
        raise TypeError(f"must be a keyring backend object, not {type(value).__name__}")
    return value


def _between(low: int, high: int) -> Callable[[int | None], int | None]:
    def check(value: int | None) -> int | None:
        if value is not None and not low <= value <= high:
            raise ValueError(f"must be an int from {low} to {high}, not {value!r}")
        return value

    return check


class KeyringOptions(CommonOptions):
    """Options of ``keyring://``, from the URL or keywords of ``KeyringStore`` / ``kv.connect``.

    Attributes:
        service: The keyring service name (the URL's location; default ``kv``).
        backend: The keyring backend to use (keyword only; default: the one
            :func:`keyring.get_keyring` picks, see keyring's configuration).
        max_value_chars: Most characters (UTF-16 code units) one keyring entry
            holds. Default: 1 280 for Windows Credential Manager, no limit for
            other backends.
        max_chunks: Most keyring entries one value may be split across when
            it is longer than ``max_value_chars``; 1 never splits, so a larger
            value gives ``EntryTooLargeError``.
        lock_path: The lock file shared by every process using this keyring.
            Default: beside a file backend's file, else in keyring's data folder.
        lock_timeout: Seconds to wait for that lock before ``StoreTimeoutError``.
        legacy_names: Also find entries that py-key-value wrote under its
            plain ``collection::key`` username when kv's differs.
        inline_budget: Seconds a call of one key may take on the event loop's
            own thread when the backend is a plain local file (keyrings.alt's
            ``PlaintextKeyring``); three calls in a row over it send the
            store's calls to its worker thread for a second. ``none``: every
            call in the worker thread. Other backends always use the thread.
    """

    positional = "service"
    service: str = option(default=DEFAULT_SERVICE, check=_service)
    backend: Any = option(default=None, check=_backend)
    max_value_chars: int | None = option(default=None, check=_between(MIN_VALUE_CHARS, 1 << 40))
    max_chunks: int = option(default=DEFAULT_MAX_CHUNKS, check=_between(1, 100_000))
    lock_path: Path | None = None
    lock_timeout: float = option(default=30.0, check=checks.seconds)
    legacy_names: bool = True
    inline_budget: float | None = option(
        default=DEFAULT_INLINE_BUDGET, check=optional(positive_seconds)
    )

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """``keyring://SERVICE`` (``keyring://``: the service ``kv``)."""
        if url.username is not None or url.password is not None:
            raise InvalidURLError(
                f"keyring:// takes a service name, not a user or password (got {url})"
            )
        return {"service": url.location.strip("/") or DEFAULT_SERVICE}


PLUGIN = StorePlugin(
    store="kv_keyring.store:KeyringStore",
    options=KeyringOptions,
    capabilities=KEYRING_CAPABILITIES,
    description="The operating system's keyring (keyring library), one service per store",
)
"""The declaration the ``kv.stores`` entry point ``keyring`` names."""
