"""``keyring://SERVICE``: a kv store in the operating system's keyring.

Each entry is one keyring password under the store's service, with a
username made of its collection and key (see :mod:`kv_keyring.naming`) and
the py-key-value-compatible JSON document as the password. Values too large
for one keyring entry are split across several (:mod:`kv_keyring.blobs`); an
index beside the entries (:mod:`kv_keyring.index`) makes enumeration,
``destroy()`` and the reclaiming of expired entries possible, since a keyring
cannot list what it holds. Every keyring call blocks, so each hook runs as
one call in a worker thread, holding a file lock (:class:`filelock.FileLock`)
that every kv process using the same keyring takes: a keyring has no
transactions, and each write of an entry and its index is a read-modify-write.

On a backend that is a plain local file read and written without a prompt
(keyrings.alt's ``PlaintextKeyring``), a call of one key runs on the event
loop's own thread instead, bounded by ``inline_budget`` (see
:mod:`kv.blocking`): a thread hop costs more than the file's read. It takes
the lock without waiting; when another holder has it, the call runs in the
worker thread, where it waits. An operating system's keyring (which may ask
the user to unlock it) is only ever called from the worker thread.

The options are declared once, in :class:`kv_keyring.plugin.KeyringOptions`.
"""

from __future__ import annotations

import configparser
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import filelock
from keyring.backend import KeyringBackend
from keyring.errors import InitError, KeyringError, KeyringLocked, NoKeyringError

from kv.blocking import BlockingCalls, Engine, WouldBlock, running_inline
from kv.entry import StoredEntry
from kv.errors import (
    KeyValueError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)
from kv.names import hashed_name
from kv.store import AtomicMixin, FullStore
from kv_keyring.blobs import BlobIO
from kv_keyring.engine import KeyringEngine, PlannedWrite
from kv_keyring.plugin import (
    DEFAULT_MAX_CHUNKS,
    DEFAULT_SERVICE,
    KEYRING_CAPABILITIES,
    MIN_VALUE_CHARS,
    PLUGIN,
    KeyringOptions,
)

__all__ = [
    "DEFAULT_MAX_CHUNKS",
    "DEFAULT_SERVICE",
    "MIN_VALUE_CHARS",
    "WINDOWS_MAX_VALUE_CHARS",
    "KeyringOptions",
    "KeyringStore",
]

T = TypeVar("T")

WINDOWS_MAX_VALUE_CHARS = 1280
"""Characters one Windows credential holds: 2 560 bytes of UTF-16."""

_ENVELOPE = 512
"""Room kept for the document around the value when declaring max_value_size."""

_LOCK_POLL_SECONDS = 0.005
"""How often a call waiting for the keyring lock tries again."""


class KeyringStore(AtomicMixin, FullStore, plugin=PLUGIN):
    """A kv store in the keyring, under one service name.

    Options (keywords, or a :class:`~kv_keyring.plugin.KeyringOptions`):
    ``service`` (the first positional argument, default ``"kv"``),
    ``backend`` (default: :func:`keyring.get_keyring`), ``max_value_chars``,
    ``max_chunks``, ``lock_path``, ``lock_timeout``, ``legacy_names``,
    ``default_collection`` and the sweep options.

    Raises:
        InvalidOptionError: an option has a bad value.
    """

    options: KeyringOptions

    def __init__(self, options: KeyringOptions | str | None = None, /, **keywords: object) -> None:
        super().__init__(options, **keywords)
        self._backend_option: KeyringBackend | None = self.options.backend
        chars = self.options.max_value_chars
        self.max_value_chars = _platform_limit(self._backend_option) if chars is None else chars
        self._lock_option: Path | None = self.options.lock_path
        if self.max_value_chars is not None:
            capacity = self.max_value_chars * self.options.max_chunks
            self.capabilities = replace(
                KEYRING_CAPABILITIES, max_value_size=max(capacity - _ENVELOPE, 1)
            )
        calls = BlockingCalls(max_threads=1, inline_budget=self.options.inline_budget)
        self._engine = Engine[KeyringEngine](calls, closed="The store was closed during the call")
        self._lock: filelock.BaseFileLock | None = None
        self._inline = False  # whether point calls may run inline (set on open)

    def __repr__(self) -> str:
        return f"<KeyringStore service={self.options.service!r}>"

    # --- running blocking calls ------------------------------------------------------

    async def _run(self, call: Callable[[KeyringEngine], T], *, point: str | None = None) -> T:
        """Run ``call(engine)`` in a worker thread, holding the keyring lock (a
        ``point`` call of one key, ``"read"`` or ``"write"``, inline when the
        backend allows it; each kind has its own inline budget strikes)."""
        lock = self._lock
        if lock is None:
            raise StoreConnectionError(self._engine.closed)

        def locked(engine: KeyringEngine) -> T:
            with _holding(lock):
                return call(engine)

        inline = point if point is not None and self._inline else False
        return await self._engine.run(locked, inline=inline)

    # --- lifecycle -------------------------------------------------------------------

    async def _open(self) -> None:
        backend = await self._engine.calls(self._resolve_backend)
        blobs = BlobIO(backend, self.options.service, self.max_value_chars)
        # One lock object per store: it excludes other stores and other
        # processes alike (each holds its own descriptor of the lock file).
        self._lock = filelock.FileLock(
            self._lock_path(backend), self.options.lock_timeout, mode=0o600
        )
        self._inline = _is_plain_file(backend)
        self._engine.handle = KeyringEngine(
            blobs, max_chunks=self.options.max_chunks, legacy_names=self.options.legacy_names
        )

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

        digest = hashed_name(self.options.service, length=25)[1:]
        return Path(platform_.data_root()) / "kv-locks" / f"{digest}.lock"

    async def _close(self) -> None:
        self._engine.close()
        self._lock = None

    # --- entries ---------------------------------------------------------------------

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        return await self._run(
            lambda engine: engine.read_entries(collection, keys),
            point="read" if len(keys) == 1 else None,
        )

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        engine = self._engine.handle
        if engine is None:
            raise StoreConnectionError(self._engine.closed)
        planned = engine.plan(collection, keys, entries)  # size errors before any write
        await self._run(
            lambda engine: engine.write_entries(collection, planned),
            point="write" if len(planned) == 1 else None,
        )

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        now = time.time()
        return await self._run(
            lambda engine: engine.delete_entries(collection, keys, now),
            point="write" if len(keys) == 1 else None,
        )

    # --- atomic operations ---------------------------------------------------------
    #
    # One call each, holding the keyring lock from the check to the write (as
    # every call does): two kv processes never both win. A version is derived
    # from the text stored under the entry's username (see
    # KeyringEngine._find), so any write by kv changes it.

    def _plan_one(self, collection: str, key: str, entry: StoredEntry) -> PlannedWrite:
        engine = self._engine.handle
        if engine is None:
            raise StoreConnectionError(self._engine.closed)
        return engine.plan(collection, [key], [entry])[0]  # size errors before any write

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        planned = self._plan_one(collection, key, entry)
        now = _now_of(entry)
        return await self._run(
            lambda engine: engine.put_if_absent(collection, planned, now), point="write"
        )

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        return await self._run(lambda engine: engine.versioned(collection, key), point="read")

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        planned = self._plan_one(collection, key, entry)
        now = _now_of(entry)
        return await self._run(
            lambda engine: engine.put_if_version(collection, planned, version, now),
            point="write",
        )

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        return await self._run(
            lambda engine: engine.delete_if_version(collection, key, version, now),
            point="write",
        )

    # --- capabilities ----------------------------------------------------------------

    # One read of the index per walk, cut into pages: the one-page hooks
    # (_key_page) would read the whole index again, under the lock, for
    # every page.

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        now = time.time()
        keys = await self._run(lambda engine: engine.live_keys(collection, now))
        for start in range(0, len(keys), page_size):
            yield keys[start : start + page_size]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        names = await self._run(lambda engine: engine.collections())
        for start in range(0, len(names), page_size):
            yield names[start : start + page_size]

    async def _destroy(self) -> bool:
        return await self._run(lambda engine: engine.destroy())

    async def _destroy_collection(self, collection: str) -> bool:
        return await self._run(lambda engine: engine.destroy_collection(collection))

    async def _cull(self, now: float, limit: int | None) -> int:
        return await self._run(lambda engine: engine.cull(now, limit))

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


# --- helpers -------------------------------------------------------------------------


@contextlib.contextmanager
def _holding(lock: filelock.BaseFileLock) -> Iterator[None]:
    """Hold the keyring lock for the ``with`` block (as kv errors when it cannot be had).

    Running inline, it does not wait: :class:`~kv.blocking.WouldBlock` when
    another holder has the lock.
    """
    inline = running_inline()
    try:
        if inline:
            lock.acquire(timeout=0)
        else:
            lock.acquire(poll_interval=_LOCK_POLL_SECONDS)
    except filelock.Timeout:
        if inline:
            raise WouldBlock from None
        raise StoreTimeoutError(
            f"Another process held the keyring lock {lock.lock_file!r} for over"
            f" {lock.timeout:g} seconds (raise the 'lock_timeout' option if this is expected)"
        ) from None
    except OSError as error:
        raise StoreSetupError(f"Cannot open the lock file {lock.lock_file!r}: {error}") from None
    try:
        yield
    finally:
        lock.release()


def _is_plain_file(backend: KeyringBackend) -> bool:
    """Whether ``backend`` is keyrings.alt's plain file (no prompt, no service
    process): then point calls may run inline."""
    module = sys.modules.get("keyrings.alt.file")  # imported if the backend is one of its
    plain = getattr(module, "PlaintextKeyring", None)
    return isinstance(plain, type) and isinstance(backend, plain)


def _now_of(entry: StoredEntry) -> float:
    """The time a conditional write was asked for (the entry's write time)."""
    return time.time() if entry.created_at is None else entry.created_at


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
