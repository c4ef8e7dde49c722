"""The exceptions kv raises.

Every error is a :class:`KeyValueError`. Errors about one entry carry the
``store``, ``collection`` and ``key`` they concern as attributes and name them
in their message. No message ever contains a password or a stored value.

Two families sit under the base:

* :class:`KeyValueOperationError`: the call itself was wrong (a bad value, key
  or TTL, a write to a read-only store, unreadable stored data).
* :class:`StoreError`: the backend failed (cannot connect, cannot set up).

:class:`StoreConnectionError` is also a built-in :class:`ConnectionError`, so
retry logic written against the standard library works for every backend.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from typing_extensions import Unpack

__all__ = [
    "ArgumentTypeError",
    "ArgumentValueError",
    "ConflictError",
    "CorruptedDataError",
    "DecryptionError",
    "DeserializationError",
    "EncryptionError",
    "EncryptionVersionError",
    "EntryTooLargeError",
    "EntryTooSmallError",
    "InvalidKeyError",
    "InvalidOptionError",
    "InvalidTTLError",
    "InvalidURLError",
    "KeyValueError",
    "KeyValueOperationError",
    "MissingKeyError",
    "PathSecurityError",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "ReadOnlyError",
    "SerializationError",
    "StoreClosedError",
    "StoreConnectionError",
    "StoreError",
    "StoreSetupError",
    "StoreTimeoutError",
    "UnknownSchemeError",
    "UnsupportedOperationError",
    "ValueTooLargeError",
]

_MAX_NAME_IN_MESSAGE = 120


def _shorten(name: str) -> str:
    """Quote a name for a message, cutting very long names in the middle."""
    if len(name) > _MAX_NAME_IN_MESSAGE:
        half = _MAX_NAME_IN_MESSAGE // 2
        name = f"{name[:half]}...{name[-half:]} ({len(name)} characters)"
    return repr(name)


def _name(name: object) -> str | None:
    """``name`` if it is a ``str`` (a plain one), else ``None``."""
    if type(name) is str:
        return name
    return str.__str__(name) if isinstance(name, str) else None


class ErrorContext(TypedDict, total=False):
    """Where an error happened: the keywords every :class:`KeyValueOperationError` takes."""

    store: str | None
    collection: str | None
    key: str | None


class KeyValueError(Exception):
    """Base class of every error kv raises.

    Attributes:
        message: What went wrong, without the context below.
        store: Name of the store (its class or URL scheme), when known.
        collection: The collection concerned, when known.
        key: The key concerned, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        store: str | None = None,
        collection: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.store = _name(store)
        self.collection = _name(collection)
        self.key = _name(key)

    def add_context(
        self,
        *,
        store: str | None = None,
        collection: str | None = None,
        key: str | None = None,
    ) -> None:
        """Fill in context that is not yet known; never overwrite what is.

        Only names (``str``) are kept: a key or collection argument of another
        type (a list, say, refused by the key rule) may hold anything, so it
        is left out rather than shown.
        """
        if self.store is None:
            self.store = _name(store)
        if self.collection is None:
            self.collection = _name(collection)
        if self.key is None:
            self.key = _name(key)

    def _context(self) -> Iterable[str]:
        if self.key is not None:
            yield f"key={_shorten(self.key)}"
        if self.collection is not None:
            yield f"collection={_shorten(self.collection)}"
        if self.store is not None:
            yield f"store={self.store}"

    def __str__(self) -> str:
        context = ", ".join(self._context())
        return f"{self.message} ({context})" if context else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild,
            (type(self), self.message, self.store, self.collection, self.key, self.__dict__),
        )


def _rebuild(
    cls: type[KeyValueError],
    message: str,
    store: str | None,
    collection: str | None,
    key: str | None,
    state: dict[str, object],
) -> KeyValueError:
    error = cls.__new__(cls)
    KeyValueError.__init__(error, message, store=store, collection=collection, key=key)
    error.__dict__.update(state)
    return error


# --- the call was wrong -----------------------------------------------------


class KeyValueOperationError(KeyValueError):
    """An operation was refused or its data could not be handled."""


class ArgumentTypeError(KeyValueOperationError, TypeError):
    """A public method was called with an argument of the wrong type.

    Raised by the runtime type checks (see ``KV_TYPECHECK``), and by the bulk
    calls for a single ``str`` or ``bytes`` where a list of keys belongs,
    whether or not the checks are on; it is also a :class:`TypeError`. The
    message names the parameter, the expected type and the type received,
    never the argument itself.
    """


class ArgumentValueError(KeyValueOperationError, ValueError):
    """Arguments of a public method do not fit together; nothing was done.

    Raised when ``put_many`` gets a different number of keys and values. It
    is also a :class:`ValueError`.
    """


class SerializationError(KeyValueOperationError):
    """A value is not a JSON object of strict JSON content; nothing was written."""


class DeserializationError(KeyValueOperationError):
    """A stored entry could not be read back (corrupt or foreign data)."""


class InvalidKeyError(KeyValueOperationError, ValueError):
    """A key or collection name is not allowed (empty, not a string, not UTF-8)."""


class InvalidTTLError(KeyValueOperationError, ValueError):
    """A TTL is not ``None`` and not a finite number of seconds greater than 0."""

    def __init__(
        self, message: str, *, ttl: object = None, **context: Unpack[ErrorContext]
    ) -> None:
        super().__init__(message, **context)
        self.ttl = ttl


class _OperationNamedError(KeyValueOperationError):
    """An error that also names the method refused (``"put"``, ``"ttl_many"``, ...)."""

    default_message = ""

    def __init__(
        self,
        message: str | None = None,
        *,
        operation: str | None = None,
        **context: Unpack[ErrorContext],
    ) -> None:
        super().__init__(self.default_message if message is None else message, **context)
        self.operation = operation


class ReadOnlyError(_OperationNamedError):
    """A write or delete was attempted on a read-only store."""

    default_message = "The store is read-only"


class _SizeError(KeyValueOperationError):
    def __init__(
        self, message: str, *, size: int, limit: int, **context: Unpack[ErrorContext]
    ) -> None:
        super().__init__(message, **context)
        self.size = size
        self.limit = limit


class EntryTooLargeError(_SizeError):
    """An entry is larger than the store or a wrapper allows; nothing was written."""


ValueTooLargeError = EntryTooLargeError
"""Alias kept for code written against py-key-value."""


class EntryTooSmallError(_SizeError):
    """An entry is smaller than a wrapper allows."""


class ConflictError(KeyValueOperationError):
    """An atomic update met a concurrent write every time it tried
    (see :func:`kv.atomic.update`); nothing was written."""


class MissingKeyError(_OperationNamedError, KeyError):
    """A key that had to exist does not (see ``RaiseOnMissingAdapter``).

    Attributes:
        operation: The method that found nothing (``"get"``, ``"ttl_many"``, ...).
    """

    default_message = "No value is stored under the key"

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return KeyValueError.__str__(self)


class UnsupportedOperationError(KeyValueOperationError, NotImplementedError):
    """The store does not offer this optional operation."""


class EncryptionError(KeyValueOperationError):
    """A value could not be encrypted."""


class DecryptionError(EncryptionError):
    """A stored value could not be decrypted (wrong key, or tampered data)."""


class CorruptedDataError(DecryptionError):
    """An encrypted envelope is malformed."""


class EncryptionVersionError(DecryptionError):
    """An encrypted value was written by a newer, unknown format version."""


# --- the backend failed ------------------------------------------------------


class StoreError(KeyValueError):
    """The backend failed to do what was asked."""


class StoreConnectionError(StoreError, ConnectionError):
    """The backend cannot be reached, or the connection broke during a call.

    The store object stays usable: once the backend is back, calls succeed
    again without rebuilding the store.
    """


class StoreTimeoutError(StoreError, TimeoutError):
    """The backend did not answer in time."""


class StoreSetupError(StoreError):
    """The store could not be set up (open a file, create a table, ...)."""


class StoreClosedError(StoreError):
    """The store was used after being closed for good."""


class PathSecurityError(StoreError):
    """A name would resolve to a path outside the store's directory."""


# --- URLs and plugins ----------------------------------------------------------


class InvalidURLError(KeyValueError, ValueError):
    """A store URL cannot be parsed."""


class InvalidOptionError(KeyValueError, ValueError):
    """A store option (from the URL query or a keyword) is unknown or ill-typed."""


class PluginError(KeyValueError):
    """A store plugin cannot be found or used."""


class UnknownSchemeError(PluginError, LookupError):
    """No installed plugin handles a URL scheme."""


class PluginConflictError(PluginError):
    """Two installed distributions claim the same URL scheme."""


class PluginLoadError(PluginError, ImportError):
    """A plugin was found but could not be imported."""
