"""The blocking work of a registry store, on an open root key.

:class:`RegistryEngine` does everything a
:class:`~kv_windows_registry.store.WindowsRegistryStore` hook needs as one
blocking call, which the store runs in a worker thread. Each collection is a
subkey of the root key (see :mod:`kv_windows_registry.naming`), each entry a
``REG_SZ`` value holding the py-key-value-compatible JSON document, and a
collection key made by kv holds ``{"kv_collection": NAME}`` in its default
value. The registry writes one value atomically, so no lock is needed.

Nothing that is not a kv or py-key-value document is ever deleted: a root
key shared with other software keeps that software's keys and values.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from kv.entry import (
    StoredEntry,
    document_is_live,
    document_names_match,
    entry_from_fields,
    parse_document,
)
from kv.errors import DeserializationError
from kv_windows_registry.api import ERROR_KEY_DELETED, ERROR_NO_MORE_ITEMS, RegistryKey, Winreg
from kv_windows_registry.naming import (
    collection_name,
    legacy_collection_name,
    legacy_value_name,
    unescape_name,
    value_name,
)

__all__ = ["MARKER_FIELD", "RegistryEngine"]

T = TypeVar("T")

MARKER_FIELD = "kv_collection"
"""Field of the JSON in a collection key's default value naming the collection."""

_DEFAULT_VALUE = ""


class RegistryEngine:
    """Blocking operations under one registry key.

    Args:
        api: The :mod:`winreg` module.
        hive: ``winreg.HKEY_CURRENT_USER`` or ``winreg.HKEY_LOCAL_MACHINE``.
        path: The root key's path under the hive (``Software\\kv``).
        legacy_names: Also find entries under py-key-value's unmapped names.
    """

    def __init__(self, api: Winreg, hive: int, path: str, *, legacy_names: bool) -> None:
        self.api = api
        self.hive = hive
        self.path = path
        self.legacy_names = legacy_names
        self._root: RegistryKey | None = None
        self._access = api.KEY_READ | api.KEY_WRITE

    # --- root key ------------------------------------------------------------------

    def open(self) -> None:
        """Open (creating if missing) the root key."""
        self._root = self.api.CreateKeyEx(self.hive, self.path, 0, self._access)

    def close(self) -> None:
        """Close the root key handle."""
        root, self._root = self._root, None
        if root is not None:
            root.Close()

    def call(self, work: Callable[[RegistryKey], T]) -> T:
        """Run ``work(root)``; reopen the root once if another process deleted it."""
        if self._root is None:
            self.open()
        assert self._root is not None
        try:
            return work(self._root)
        except OSError as error:
            if getattr(error, "winerror", None) != ERROR_KEY_DELETED:
                raise
        self.close()
        self.open()
        assert self._root is not None
        return work(self._root)

    # --- reads ---------------------------------------------------------------------

    def read_entries(
        self, root: RegistryKey, collection: str, keys: Sequence[str]
    ) -> list[StoredEntry | None]:
        """The entries of ``keys`` in order (``None`` where absent)."""
        found: dict[str, StoredEntry | None] = {}
        results: list[StoredEntry | None] = []
        for key in keys:
            if key in found:
                entry = found[key]
                if entry is not None:  # a fresh copy for a repeated key
                    entry = entry._replace(value_json=entry.json(), value_object=None)
            else:
                entry = found[key] = self._read_entry(root, collection, key)
            results.append(entry)
        return results

    def _read_entry(self, root: RegistryKey, collection: str, key: str) -> StoredEntry | None:
        for place, (subkey, name) in enumerate(self._locations(collection, key)):
            try:
                document = self._document(root, subkey, name)
            except DeserializationError as error:
                if place > 0:
                    continue  # damaged, at py-key-value's name: not provably this pair's
                error.add_context(key=key)
                raise
            if document is not None and document_names_match(document, collection, key):
                try:
                    return entry_from_fields(document)
                except DeserializationError as error:
                    error.add_context(key=key)
                    raise
        return None

    def _locations(self, collection: str, key: str) -> list[tuple[str, str]]:
        """Where the entry may be: kv's names, then py-key-value's if different."""
        ours = (collection_name(collection), value_name(key))
        places = [ours]
        if self.legacy_names:
            legacy_collection = legacy_collection_name(collection)
            legacy_value = legacy_value_name(key)
            if legacy_collection is not None and legacy_value is not None:
                legacy = (legacy_collection, legacy_value)
                if legacy != ours:
                    places.append(legacy)
        return places

    def _document(self, root: RegistryKey, subkey: str, name: str) -> dict[str, Any] | None:
        try:
            with self.api.OpenKey(root, subkey, 0, self.api.KEY_READ) as handle:
                data, kind = self.api.QueryValueEx(handle, name)
        except FileNotFoundError:
            return None
        if kind != self.api.REG_SZ or not isinstance(data, str):
            raise DeserializationError("Stored registry value is not a REG_SZ string")
        return parse_document(data)

    def live_keys(self, root: RegistryKey, collection: str, now: float) -> list[str]:
        """The keys of ``collection`` that have not expired, sorted."""
        keys: set[str] = set()
        for subkey in self._collection_subkeys(collection):
            for _, document in self._documents(root, subkey):
                if document.get("collection", collection) == collection and document_is_live(
                    document, now
                ):
                    keys.add(document["key"])
        return sorted(keys)

    def collections(self, root: RegistryKey) -> list[str]:
        """The collections that hold at least one entry, sorted."""
        names: set[str] = set()
        for subkey in _subkeys(self.api, root):
            try:
                handle = self.api.OpenKey(root, subkey, 0, self.api.KEY_READ)
            except FileNotFoundError:
                continue  # deleted meanwhile
            with handle:
                # Every document is looked at: registry names ignore case, so
                # py-key-value's key for "ABC" is kv's key for "abc".
                fallback = _marker(self.api, handle) or unescape_name(subkey)
                for _, document in self._documents_in(handle):
                    stored = document.get("collection", fallback)
                    if isinstance(stored, str):
                        names.add(stored)
        return sorted(names)

    # --- writes --------------------------------------------------------------------

    def write_entries(
        self, root: RegistryKey, collection: str, documents: Sequence[tuple[str, str]]
    ) -> None:
        """Store ``(key, document)`` pairs in order (later duplicates win)."""
        subkey = collection_name(collection)
        try:
            handle = self.api.OpenKey(root, subkey, 0, self._access)
        except FileNotFoundError:
            handle = self.api.CreateKeyEx(root, subkey, 0, self._access)
            marker = json.dumps({MARKER_FIELD: collection}, ensure_ascii=True)
            self.api.SetValueEx(handle, _DEFAULT_VALUE, 0, self.api.REG_SZ, marker)
        with handle:
            for key, document in documents:
                self.api.SetValueEx(handle, value_name(key), 0, self.api.REG_SZ, document)
        for key in dict.fromkeys(key for key, _ in documents):
            self._drop_legacy(root, collection, key)

    def _drop_legacy(self, root: RegistryKey, collection: str, key: str) -> None:
        """Delete py-key-value's value of the pair, now that kv's replaces it.

        Otherwise it would show through once kv's entry is culled or destroyed.
        """
        for subkey, name in self._locations(collection, key)[1:]:
            try:
                document = self._document(root, subkey, name)
            except DeserializationError:
                continue  # not provably this pair's: left alone
            if document is not None and document_names_match(document, collection, key):
                self._delete_value(root, subkey, name)

    def delete_entries(
        self, root: RegistryKey, collection: str, keys: Sequence[str], now: float
    ) -> int:
        """Delete ``keys``; return how many were live (stored and unexpired)."""
        live = 0
        for key in dict.fromkeys(keys):
            existed = False
            for place, (subkey, name) in enumerate(self._locations(collection, key)):
                try:
                    document = self._document(root, subkey, name)
                except DeserializationError:
                    if place > 0:
                        continue  # damaged, at py-key-value's name: left alone
                    document = {}  # damaged, at kv's own name: deleted
                if document is None or not document_names_match(document, collection, key):
                    continue
                if not existed and document_is_live(document, now):
                    live += 1
                existed = True
                self._delete_value(root, subkey, name)
        return live

    def _delete_value(self, root: RegistryKey, subkey: str, name: str) -> None:
        try:
            with self.api.OpenKey(root, subkey, 0, self._access) as handle:
                self.api.DeleteValue(handle, name)
        except FileNotFoundError:
            pass

    # --- expiry ----------------------------------------------------------------------

    def cull(self, root: RegistryKey, now: float, limit: int | None) -> int:
        """Delete entries that expired at or before ``now`` (at most ``limit``)."""
        removed = 0
        for subkey in _subkeys(self.api, root):
            if limit is not None and removed >= limit:
                break
            expired = [
                name
                for name, document in self._documents(root, subkey)
                if not document_is_live(document, now)
            ]
            if limit is not None:
                expired = expired[: limit - removed]
            for name in expired:
                self._delete_value(root, subkey, name)
                removed += 1
        return removed

    # --- destroy ---------------------------------------------------------------------

    def destroy(self, root: RegistryKey) -> bool:
        """Delete every entry (and collection key kv made) under the root key."""
        existed = False
        for subkey in _subkeys(self.api, root):
            existed = self._clear(root, subkey, None) or existed
        return existed

    def destroy_collection(self, root: RegistryKey, collection: str) -> bool:
        """Delete every entry of ``collection``; return whether it held any."""
        existed = False
        for subkey in self._collection_subkeys(collection):
            existed = self._clear(root, subkey, collection) or existed
        return existed

    def _clear(self, root: RegistryKey, subkey: str, collection: str | None) -> bool:
        """Delete the documents (of ``collection``, or all) in ``subkey``; drop it if emptied."""
        try:
            handle = self.api.OpenKey(root, subkey, 0, self._access)
        except FileNotFoundError:
            return False
        with handle:
            marker = _marker(self.api, handle)
            doomed = [
                name
                for name, document in self._documents_in(handle)
                if collection is None or document.get("collection", marker) == collection
            ]
            for name in doomed:
                self.api.DeleteValue(handle, name)
            ours = marker is not None and (collection is None or marker == collection)
            if ours:
                self.api.DeleteValue(handle, _DEFAULT_VALUE)
            subkeys, values, _ = self.api.QueryInfoKey(handle)
        if (doomed or ours) and subkeys == 0 and values == 0:
            with contextlib.suppress(OSError):  # written again meanwhile: kept
                self.api.DeleteKey(root, subkey)
        return bool(doomed)

    # --- enumeration plumbing ----------------------------------------------------------

    def _collection_subkeys(self, collection: str) -> list[str]:
        names = [collection_name(collection)]
        legacy = legacy_collection_name(collection) if self.legacy_names else None
        if legacy is not None and legacy.casefold() != names[0].casefold():
            names.append(legacy)
        return names

    def _documents(self, root: RegistryKey, subkey: str) -> list[tuple[str, dict[str, Any]]]:
        try:
            handle = self.api.OpenKey(root, subkey, 0, self.api.KEY_READ)
        except FileNotFoundError:
            return []
        with handle:
            return list(self._documents_in(handle))

    def _documents_in(self, handle: RegistryKey) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(value name, document)`` of every value of ``handle`` that is an entry."""
        for name, data, kind in _values(self.api, handle):
            if not name or kind != self.api.REG_SZ or not isinstance(data, str):
                continue
            try:
                document = parse_document(data)
            except DeserializationError:
                continue
            if "value" in document and isinstance(document.get("key"), str):
                yield name, document


def _values(api: Winreg, handle: RegistryKey) -> list[tuple[str, Any, int]]:
    _, count, _ = api.QueryInfoKey(handle)
    return _enumerate(lambda index: api.EnumValue(handle, index), count)


def _subkeys(api: Winreg, root: RegistryKey) -> list[str]:
    count, _, _ = api.QueryInfoKey(root)
    return _enumerate(lambda index: api.EnumKey(root, index), count)


def _enumerate(read: Callable[[int], T], count: int) -> list[T]:
    """``read(0)`` ... ``read(count - 1)``, or those read before the registry said
    there are no more (the key lost items meanwhile)."""
    items: list[T] = []
    try:
        items.extend(read(index) for index in range(count))  # keeps what was read before an error
    except OSError as error:
        if getattr(error, "winerror", ERROR_NO_MORE_ITEMS) != ERROR_NO_MORE_ITEMS:
            raise
    return items


def _marker(api: Winreg, handle: RegistryKey) -> str | None:
    """The collection named in the key's default value, if kv made the key."""
    try:
        data, kind = api.QueryValueEx(handle, _DEFAULT_VALUE)
    except FileNotFoundError:
        return None
    if kind != api.REG_SZ or not isinstance(data, str):
        return None
    try:
        name = parse_document(data).get(MARKER_FIELD)
    except DeserializationError:
        return None
    return name if isinstance(name, str) else None
