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
from kv.errors import KeyValueError, StoreConnectionError, StoreError
from kv.store import (
    FullStore,
)
from kv_windows_registry.api import RegistryKey, load_winreg
from kv_windows_registry.engine import RegistryEngine
from kv_windows_registry.plugin import (
    DEFAULT_HIVE,
    DEFAULT_PATH,
    HIVES,
    PLUGIN,
    WindowsRegistryOptions,
    parse_location,
)

__all__ = [
    "DEFAULT_HIVE",
    "DEFAULT_PATH",
    "HIVES",
    "WindowsRegistryOptions",
    "WindowsRegistryStore",
    "parse_location",
]

T = TypeVar("T")


class WindowsRegistryStore(FullStore, plugin=PLUGIN):
    """A kv store under one Windows registry key.

    Options (keywords, or a
    :class:`~kv_windows_registry.plugin.WindowsRegistryOptions`): ``path``
    (the first positional argument; default ``Software\\kv``), ``hive``
    (default ``HKEY_CURRENT_USER``), ``legacy_names``, ``default_collection``
    and the sweep options.

    Raises:
        InvalidOptionError: a bad hive or path.
        StoreSetupError: not on Windows.
    """

    options: WindowsRegistryOptions

    def __init__(
        self, options: WindowsRegistryOptions | str | None = None, /, **keywords: object
    ) -> None:
        super().__init__(options, **keywords)
        self._api = load_winreg()  # StoreSetupError off Windows
        self._calls = BlockingCalls(max_threads=1)
        self._engine: RegistryEngine | None = None

    def __repr__(self) -> str:
        return f"<WindowsRegistryStore {self.options.hive}\\{self.options.path}>"

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
        if self.options.hive == "HKEY_CURRENT_USER":
            hive = self._api.HKEY_CURRENT_USER
        engine = RegistryEngine(
            self._api, hive, self.options.path, legacy_names=self.options.legacy_names
        )
        await self._calls.finish(engine.open)
        self._engine = engine

    async def _close(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            await self._calls.finish(engine.close)

    # --- entries -------------------------------------------------------------------------

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        return await self._run(lambda engine, root: engine.read_entries(root, collection, keys))

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
                f"Access to {self.options.hive}\\{self.options.path} is denied"
                " (HKEY_LOCAL_MACHINE needs administrator rights)"
            )
        return None
