"""``keyring://SERVICE``: a kv store in the operating system's keyring.

Each entry is one keyring password under the store's service, with a
username made of its collection and key (see :mod:`kv_keyring.naming`) and
the py-key-value-compatible JSON document as the password. Values too large
for one keyring entry are split across several (:mod:`kv_keyring.blobs`); an
index beside the entries (:mod:`kv_keyring.index`) makes enumeration,
``destroy()`` and the reclaiming of expired entries possible, since a keyring
cannot list what it holds. Every keyring call blocks, so each hook runs as
one call in a worker thread, under a lock shared by every kv process using
the same keyring (:mod:`kv_keyring.locking`).
"""

from __future__ import annotations

import configparser
import math
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from keyring.backend import KeyringBackend
from keyring.errors import InitError, KeyringError, KeyringLocked, NoKeyringError

from kv.blocking import BlockingCalls
from kv.entry import StoredEntry
from kv.errors import (
    InvalidOptionError,
    InvalidURLError,
    KeyValueError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
)
from kv.names import hashed_name
from kv.options import CommonOptions, parse_options
from kv.store import (
    BaseStore,
    CullMixin,
    DestroyCollectionMixin,
    DestroyMixin,
    EnumerateCollectionsMixin,
    EnumerateKeysMixin,
)
from kv.url import StoreURL
from kv_keyring.blobs import BlobIO
from kv_keyring.engine import KeyringEngine
from kv_keyring.locking import FileLock
from kv_keyring.plugin import KEYRING_CAPABILITIES

__all__ = [
    "DEFAULT_MAX_CHUNKS",
    "DEFAULT_SERVICE",
    "WINDOWS_MAX_VALUE_CHARS",
    "KeyringOptions",
    "KeyringStore",
]

T = TypeVar("T")

DEFAULT_SERVICE = "kv"
"""The service name of ``keyring://`` without one."""

WINDOWS_MAX_VALUE_CHARS = 1280
"""Characters one Windows credential holds: 2 560 bytes of UTF-16."""

DEFAULT_MAX_CHUNKS = 64
"""Most keyring entries one value is split across, by default."""

MIN_VALUE_CHARS = 256
"""Smallest ``max_value_chars`` accepted (a chunk manifest must fit)."""

_ENVELOPE = 512
"""Room kept for the document around the value when declaring max_value_size."""

_MAX_SERVICE_LENGTH = 256


class KeyringOptions(CommonOptions):
    """Options of ``keyring://``, from the URL query or keywords of ``kv.connect``.

    Attributes:
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
    """

    backend: KeyringBackend | None = None
    max_value_chars: int | None = None
    max_chunks: int = DEFAULT_MAX_CHUNKS
    lock_path: Path | None = None
    lock_timeout: float = 30.0
    legacy_names: bool = True


class KeyringStore(
    EnumerateKeysMixin,
    EnumerateCollectionsMixin,
    DestroyMixin,
    DestroyCollectionMixin,
    CullMixin,
    BaseStore,
):
    """A kv store in the keyring, under one service name.

    Args:
        service: The keyring service name (default ``"kv"``).
        backend: The keyring backend (default: :func:`keyring.get_keyring`).
        max_value_chars: Most characters one keyring entry holds (default:
            1 280 for Windows Credential Manager, else no limit).
        max_chunks: Most keyring entries one value may span (1: never split).
        lock_path: The inter-process lock file (default: see
            :class:`KeyringOptions`).
        lock_timeout: Seconds to wait for the lock.
        legacy_names: Also read py-key-value's plain usernames.
        default_collection: The collection used when none is given.

    Raises:
        InvalidOptionError: an option has a bad value.
    """

    capabilities = KEYRING_CAPABILITIES
    store_name = "keyring"

    def __init__(
        self,
        service: str = DEFAULT_SERVICE,
        *,
        backend: KeyringBackend | None = None,
        max_value_chars: int | None = None,
        max_chunks: int = DEFAULT_MAX_CHUNKS,
        lock_path: str | Path | None = None,
        lock_timeout: float = 30.0,
        legacy_names: bool = True,
        default_collection: str | None = None,
    ) -> None:
        super().__init__(default_collection=default_collection)
        self.service = _check_service(service)
        if backend is not None and not isinstance(backend, KeyringBackend):
            raise InvalidOptionError(
                f"backend must be a keyring backend, not {type(backend).__name__}",
                store=self.store_name,
            )
        self._backend_option = backend
        self.max_value_chars = _check_value_chars(max_value_chars, backend)
        self.max_chunks = _check_int(max_chunks, "max_chunks", 1, 100_000)
        self.lock_timeout = _check_timeout(lock_timeout)
        self._lock_option = None if lock_path is None else Path(lock_path)
        self.legacy_names = bool(legacy_names)
        if self.max_value_chars is not None:
            capacity = self.max_value_chars * self.max_chunks
            self.capabilities = replace(
                KEYRING_CAPABILITIES, max_value_size=max(capacity - _ENVELOPE, 1)
            )
        self._calls = BlockingCalls(max_threads=1)
        self._engine: KeyringEngine | None = None
        self._lock: FileLock | None = None

    @classmethod
    def from_url(cls, url: StoreURL, **options: object) -> KeyringStore:
        """Build a store from ``keyring://[SERVICE][?max_value_chars=N&max_chunks=N&...]``.

        Raises:
            InvalidURLError: the URL has a user or password.
            InvalidOptionError: an unknown option or a bad value.
        """
        if url.username is not None or url.password is not None:
            raise InvalidURLError(
                f"keyring:// takes a service name, not a user or password (got {url})"
            )
        service = url.location.strip("/") or DEFAULT_SERVICE
        parsed = parse_options(url, options, KeyringOptions, store=cls.store_name)
        store = cls(
            service,
            backend=parsed.backend,
            max_value_chars=parsed.max_value_chars,
            max_chunks=parsed.max_chunks,
            lock_path=parsed.lock_path,
            lock_timeout=parsed.lock_timeout,
            legacy_names=parsed.legacy_names,
            default_collection=parsed.default_collection,
        )
        store.configure_sweep(interval=parsed.sweep_interval, limit=parsed.sweep_limit)
        return store

    def __repr__(self) -> str:
        return f"<KeyringStore service={self.service!r}>"

    # --- running blocking calls ------------------------------------------------------

    async def _run(self, call: Callable[[KeyringEngine], T], *, shared: bool) -> T:
        """Run ``call(engine)`` in a worker thread, holding the keyring lock."""
        engine, lock = self._engine, self._lock
        if engine is None or lock is None:
            raise StoreConnectionError("The store was closed during the call")

        def locked() -> T:
            with lock.hold(shared=shared):
                return call(engine)

        return await self._calls(locked)

    # --- lifecycle -------------------------------------------------------------------

    async def _open(self) -> None:
        backend = await self._calls(self._resolve_backend)
        blobs = BlobIO(backend, self.service, self.max_value_chars)
        self._engine = KeyringEngine(
            blobs, max_chunks=self.max_chunks, legacy_names=self.legacy_names
        )
        self._lock = FileLock(self._lock_path(backend), self.lock_timeout)

    def _resolve_backend(self) -> KeyringBackend:
        backend = self._backend_option
        if backend is None:
            import keyring

            backend = keyring.get_keyring()
        from keyring.backends import fail

        if isinstance(backend, fail.Keyring):
            raise StoreSetupError(
                "No keyring backend is available on this system; install one (for example"
                " keyrings.alt) or choose one with PYTHON_KEYRING_BACKEND"
            )
        return backend

    def _lock_path(self, backend: KeyringBackend) -> Path:
        if self._lock_option is not None:
            return self._lock_option
        file_path = getattr(backend, "file_path", None)
        if isinstance(file_path, str) and file_path:
            # A file backend rewrites one file for every service: one lock per file.
            return Path(f"{file_path}.kv-lock")
        from keyring.util import platform_

        digest = hashed_name(self.service, length=25)[1:]
        return Path(platform_.data_root()) / "kv-locks" / f"{digest}.lock"

    async def _close(self) -> None:
        self._engine = None
        self._lock = None

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        return (await self._get_entries(collection, [key]))[0]

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        return await self._run(lambda engine: engine.read_entries(collection, keys), shared=True)

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        await self._put_entries(collection, [key], [entry], ttl)

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        engine = self._engine
        if engine is None:
            raise StoreConnectionError("The store was closed during the call")
        planned = engine.plan(collection, keys, entries)  # size errors before any write
        await self._run(lambda engine: engine.write_entries(collection, planned), shared=False)

    async def _delete_entry(self, collection: str, key: str) -> bool:
        return await self._delete_entries(collection, [key]) > 0

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        now = time.time()
        return await self._run(
            lambda engine: engine.delete_entries(collection, keys, now), shared=False
        )

    # --- capabilities ----------------------------------------------------------------

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        now = time.time()
        keys = await self._run(lambda engine: engine.live_keys(collection, now), shared=True)
        for start in range(0, len(keys), page_size):
            yield keys[start : start + page_size]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        names = await self._run(lambda engine: engine.collections(), shared=True)
        for start in range(0, len(names), page_size):
            yield names[start : start + page_size]

    async def _destroy(self) -> bool:
        return await self._run(lambda engine: engine.destroy(), shared=False)

    async def _destroy_collection(self, collection: str) -> bool:
        return await self._run(lambda engine: engine.destroy_collection(collection), shared=False)

    async def _cull(self, now: float, limit: int | None) -> int:
        return await self._run(lambda engine: engine.cull(now, limit), shared=False)

    # --- errors ----------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """Map keyring's exceptions (and its file backends') to kv errors."""
        if isinstance(error, (NoKeyringError, InitError)):
            return StoreSetupError(f"The keyring backend cannot be used: {error}")
        if isinstance(error, KeyringLocked):
            return StoreError(f"The keyring is locked; unlock it and retry ({error})")
        if isinstance(error, KeyringError):
            return StoreError(f"The keyring backend failed: {type(error).__name__}: {error}")
        if isinstance(error, configparser.Error):
            # The message quotes the file's lines, which hold stored values: never shown.
            return StoreError(
                f"The keyring backend's file is damaged and cannot be read ({type(error).__name__})"
            )
        if isinstance(error, OSError):  # connection and timeout errors included
            return None
        module = type(error).__module__
        if module.startswith(("win32ctypes", "pywintypes", "jeepney", "secretstorage")):
            return StoreError(f"The keyring backend raised {module}.{type(error).__name__}")
        return None


# --- validation ----------------------------------------------------------------------


def _check_service(service: object) -> str:
    if not isinstance(service, str) or not service:
        raise InvalidOptionError("service must be a non-empty str", store="keyring")
    if len(service) > _MAX_SERVICE_LENGTH or not service.isprintable():
        raise InvalidOptionError(
            f"service must be at most {_MAX_SERVICE_LENGTH} printable characters",
            store="keyring",
        )
    return service


def _check_int(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidOptionError(
            f"{name} must be an int from {low} to {high}, not {value!r}", store="keyring"
        )
    return value


def _check_value_chars(value: object, backend: KeyringBackend | None) -> int | None:
    if value is None:
        return _platform_limit(backend)
    return _check_int(value, "max_value_chars", MIN_VALUE_CHARS, 1 << 40)


def _platform_limit(backend: KeyringBackend | None) -> int | None:
    """The per-entry size limit of ``backend`` (``None``: the default backend)."""
    if backend is None:
        return WINDOWS_MAX_VALUE_CHARS if sys.platform == "win32" else None
    backends = getattr(backend, "backends", None)  # keyring's ChainerBackend
    members = list(backends) if isinstance(backends, (list, tuple)) else [backend]
    for member in members:
        kind = type(member)
        if kind.__module__ == "keyring.backends.Windows" and kind.__name__ == "WinVaultKeyring":
            return WINDOWS_MAX_VALUE_CHARS
    return None


def _check_timeout(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidOptionError(
            f"lock_timeout must be a number of seconds, not {type(value).__name__}",
            store="keyring",
        )
    seconds = float(value)
    if not (seconds >= 0 and math.isfinite(seconds)):
        raise InvalidOptionError(
            f"lock_timeout must be a finite number of seconds >= 0, not {value!r}",
            store="keyring",
        )
    return seconds
