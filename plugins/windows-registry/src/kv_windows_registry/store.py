"""``winreg://HIVE/PATH``: a kv store in the Windows registry.

Each collection is a subkey of ``HIVE\\PATH`` and each entry a ``REG_SZ``
value in it holding the py-key-value-compatible JSON document, the layout of
py-key-value's WindowsRegistryStore (see :mod:`kv_windows_registry.naming`
and :mod:`kv_windows_registry.engine`). Registry calls block, so each hook
runs as one call in a worker thread.

The module imports on every platform; building the store anywhere but
Windows raises :class:`~kv.errors.StoreSetupError`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TypeVar

from kv.blocking import BlockingCalls
from kv.entry import StoredEntry, encode_document
from kv.errors import (
    InvalidOptionError,
    InvalidURLError,
    KeyValueError,
    StoreConnectionError,
    StoreError,
)
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
from kv_windows_registry.api import RegistryKey, load_winreg
from kv_windows_registry.engine import RegistryEngine
from kv_windows_registry.plugin import WINREG_CAPABILITIES

__all__ = [
    "DEFAULT_HIVE",
    "DEFAULT_PATH",
    "HIVES",
    "WindowsRegistryOptions",
    "WindowsRegistryStore",
    "parse_location",
]

T = TypeVar("T")

HIVES = {
    "HKCU": "HKEY_CURRENT_USER",
    "HKEY_CURRENT_USER": "HKEY_CURRENT_USER",
    "HKLM": "HKEY_LOCAL_MACHINE",
    "HKEY_LOCAL_MACHINE": "HKEY_LOCAL_MACHINE",
}
"""Hive names accepted in URLs (any case), and the hive each stands for."""

DEFAULT_HIVE = "HKEY_CURRENT_USER"
DEFAULT_PATH = "Software\\kv"
"""The root key of ``winreg://`` without a path (py-key-value's is ``Software\\py-key-value``)."""

_MAX_SEGMENT = 255


class WindowsRegistryOptions(CommonOptions):
    """Options of ``winreg://``, from the URL query or keywords of ``kv.connect``.

    Attributes:
        legacy_names: Also find entries py-key-value wrote under unmapped
            names when kv's mapped names differ (names with upper-case
            letters or other characters kv escapes).
    """

    legacy_names: bool = True


def parse_location(location: str) -> tuple[str, str]:
    """``(hive, path)`` from a URL location ``HIVE/SEG/SEG`` (``/`` or ``\\`` separated).

    An empty location is ``HKEY_CURRENT_USER\\Software\\kv``; a hive alone
    gets the path ``Software\\kv``.

    Raises:
        InvalidURLError: an unknown hive, or an empty or unusable path segment.
    """
    parts = location.replace("\\", "/").strip("/").split("/") if location.strip("/\\") else []
    if not parts:
        return DEFAULT_HIVE, DEFAULT_PATH
    hive = HIVES.get(parts[0].upper())
    if hive is None:
        raise InvalidURLError(
            f"winreg:// needs a hive first: HKCU or HKLM (or their long names), not {parts[0]!r}"
        )
    segments = parts[1:]
    if not segments:
        return hive, DEFAULT_PATH
    for segment in segments:
        if not segment:
            raise InvalidURLError("winreg:// paths cannot have empty segments ('//')")
        if len(segment) > _MAX_SEGMENT or not segment.isprintable():
            raise InvalidURLError(
                f"registry key names are at most {_MAX_SEGMENT} printable characters"
                f" (got {segment[:40]!r})"
            )
    return hive, "\\".join(segments)


class WindowsRegistryStore(
    EnumerateKeysMixin,
    EnumerateCollectionsMixin,
    DestroyMixin,
    DestroyCollectionMixin,
    CullMixin,
    BaseStore,
):
    """A kv store under one Windows registry key.

    Args:
        path: The root key under the hive (default ``Software\\kv``).
        hive: ``"HKEY_CURRENT_USER"`` (default) or ``"HKEY_LOCAL_MACHINE"``
            (or ``HKCU``/``HKLM``).
        legacy_names: Also read py-key-value's unmapped names.
        default_collection: The collection used when none is given.

    Raises:
        InvalidOptionError: a bad hive or path.
        StoreSetupError: not on Windows.
    """

    capabilities = WINREG_CAPABILITIES
    store_name = "winreg"

    def __init__(
        self,
        path: str = DEFAULT_PATH,
        *,
        hive: str = DEFAULT_HIVE,
        legacy_names: bool = True,
        default_collection: str | None = None,
    ) -> None:
        super().__init__(default_collection=default_collection)
        if not isinstance(hive, str) or hive.upper() not in HIVES:
            raise InvalidOptionError(
                f"hive must be HKEY_CURRENT_USER or HKEY_LOCAL_MACHINE, not {hive!r}",
                store=self.store_name,
            )
        if not isinstance(path, str):
            raise InvalidOptionError("path must be a str", store=self.store_name)
        try:
            _, checked = parse_location(f"HKCU/{path}")
        except InvalidURLError as error:
            raise InvalidOptionError(error.message, store=self.store_name) from None
        self.hive = HIVES[hive.upper()]
        self.path = checked
        self.legacy_names = bool(legacy_names)
        self._api = load_winreg()  # StoreSetupError off Windows
        self._calls = BlockingCalls(max_threads=1)
        self._engine: RegistryEngine | None = None

    @classmethod
    def from_url(cls, url: StoreURL, **options: object) -> WindowsRegistryStore:
        """Build a store from ``winreg://HIVE/PATH[?legacy_names=false&...]``.

        Raises:
            InvalidURLError: the URL has a user or password, or a bad hive or path.
            InvalidOptionError: an unknown option or a bad value.
            StoreSetupError: not on Windows.
        """
        if url.username is not None or url.password is not None:
            raise InvalidURLError(
                f"winreg:// takes a hive and a key path, not a user or password (got {url})"
            )
        hive, path = parse_location(url.location)
        parsed = parse_options(url, options, WindowsRegistryOptions, store=cls.store_name)
        store = cls(
            path,
            hive=hive,
            legacy_names=parsed.legacy_names,
            default_collection=parsed.default_collection,
        )
        store.configure_sweep(interval=parsed.sweep_interval, limit=parsed.sweep_limit)
        return store

    def __repr__(self) -> str:
        return f"<WindowsRegistryStore {self.hive}\\{self.path}>"

    # --- running blocking calls --------------------------------------------------------

    async def _run(self, work: Callable[[RegistryEngine, RegistryKey], T]) -> T:
        """Run ``work(engine, root)`` in a worker thread."""
        engine = self._engine
        if engine is None:
            raise StoreConnectionError("The store was closed during the call")
        return await self._calls(engine.call, lambda root: work(engine, root))

    # --- lifecycle -----------------------------------------------------------------------

    async def _open(self) -> None:
        hive = self._api.HKEY_LOCAL_MACHINE
        if self.hive == "HKEY_CURRENT_USER":
            hive = self._api.HKEY_CURRENT_USER
        engine = RegistryEngine(self._api, hive, self.path, legacy_names=self.legacy_names)
        await self._calls.finish(engine.open)
        self._engine = engine

    async def _close(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            await self._calls.finish(engine.close)

    # --- entries -------------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        return (await self._get_entries(collection, [key]))[0]

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        return await self._run(lambda engine, root: engine.read_entries(root, collection, keys))

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
        documents = [
            (key, encode_document(entry, collection=collection, key=key))
            for key, entry in zip(keys, entries)
        ]
        await self._run(lambda engine, root: engine.write_entries(root, collection, documents))

    async def _delete_entry(self, collection: str, key: str) -> bool:
        return await self._delete_entries(collection, [key]) > 0

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        now = time.time()
        return await self._run(
            lambda engine, root: engine.delete_entries(root, collection, keys, now)
        )

    # --- capabilities ----------------------------------------------------------------------

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        now = time.time()
        keys = await self._run(lambda engine, root: engine.live_keys(root, collection, now))
        for start in range(0, len(keys), page_size):
            yield keys[start : start + page_size]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        names = await self._run(lambda engine, root: engine.collections(root))
        for start in range(0, len(names), page_size):
            yield names[start : start + page_size]

    async def _destroy(self) -> bool:
        return await self._run(lambda engine, root: engine.destroy(root))

    async def _destroy_collection(self, collection: str) -> bool:
        return await self._run(lambda engine, root: engine.destroy_collection(root, collection))

    async def _cull(self, now: float, limit: int | None) -> int:
        return await self._run(lambda engine, root: engine.cull(root, now, limit))

    # --- errors ----------------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """Map registry errors to kv errors (``None``: let the base decide)."""
        if isinstance(error, PermissionError):
            return StoreError(
                f"Access to {self.hive}\\{self.path} is denied"
                " (HKEY_LOCAL_MACHINE needs administrator rights)"
            )
        return None
