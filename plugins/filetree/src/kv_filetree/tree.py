"""The blocking engine of ``file://``: one JSON document per entry in a tree.

:class:`FileTree` works in kv's terms (collection and key names) and is run
by the store in a worker thread. Layout and names: :mod:`kv_filetree.names`;
link-safe atomic file operations: :mod:`kv_filetree.fs`.

A document is the entry as py-key-value writes it, indented for a person to
read, with the original collection and key::

    {
      "collection": "users",
      "created_at": "2025-01-01T00:00:00+00:00",
      "expires_at": "2025-01-01T01:00:00+00:00",
      "key": "alice",
      "value": {
        "name": "Alice"
      },
      "version": 1
    }
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from kv.atomic import content_version
from kv.entry import DOCUMENT_VERSION, StoredEntry, format_timestamp, parse_timestamp
from kv.entry import entry_from_fields as _entry_from_fields
from kv.errors import DeserializationError, KeyValueError, PathSecurityError
from kv.names import encode_path_segment
from kv_filetree.fs import PRIVATE_PREFIX, Folder, Listed, open_root
from kv_filetree.lock import TreeLock
from kv_filetree.names import (
    SUFFIX,
    Location,
    V1Limits,
    collection_folders,
    decoded,
    locations,
)

__all__ = ["FileTree", "render_document"]

STALE_AFTER = 3600.0
"""Seconds after which a leftover temporary file or trash folder is removed by cull."""

SWEEP_READS_PER_REMOVAL = 4
"""A bounded sweep reads at most this many files per entry it may remove."""

_WRITE_ATTEMPTS = 20
_INFO_SUFFIX = "-info.json"
_decode = json.JSONDecoder().decode


def render_document(collection: str, key: str, entry: StoredEntry) -> bytes:
    """The indented JSON document of ``entry`` (py-key-value's fields, sorted)."""
    document: dict[str, Any] = {"collection": collection}
    if entry.created_at is not None:
        document["created_at"] = format_timestamp(entry.created_at)
    if entry.expires_at is not None:
        document["expires_at"] = format_timestamp(entry.expires_at)
    document["key"] = key
    document["value"] = entry.value()
    document["version"] = DOCUMENT_VERSION
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _parse(data: bytes) -> dict[str, Any] | None:
    """The JSON object in ``data``, or ``None`` if it is not one."""
    try:
        document = _decode(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _belongs(document: dict[str, Any], location: Location, collection: str, key: str) -> bool:
    """Whether the document at ``location`` is the entry of ``(collection, key)``."""
    stored_key = document.get("key")
    stored_collection = document.get("collection")
    if stored_key is None and stored_collection is None:
        return location.foreign  # py-key-value's documents name neither
    return stored_key == key and stored_collection in (None, collection)


def _expired(document: dict[str, Any], now: float) -> bool:
    """Whether the document's ``expires_at`` is at or before ``now`` (unreadable: no)."""
    expires = document.get("expires_at")
    if expires is None:
        return False
    try:
        return parse_timestamp(expires) <= now
    except DeserializationError:
        return False


def _entry(document: dict[str, Any], key: str) -> StoredEntry:
    try:
        return _entry_from_fields(document)
    except KeyValueError as error:
        error.add_context(key=key)
        raise


def _live(entry: StoredEntry, now: float | None) -> bool:
    """Whether ``entry`` has not expired at ``now`` (``None``: not known, live)."""
    return now is None or entry.expires_at is None or entry.expires_at > now


def _is_entry_file(item: Listed) -> bool:
    return item.is_file and item.name.endswith(SUFFIX) and not item.name.startswith(PRIVATE_PREFIX)


def _stale_private_file(item: Listed, now: float) -> bool:
    """A temporary or taken file left behind by a crash, old enough to remove."""
    return item.is_file and item.name.startswith(PRIVATE_PREFIX) and item.mtime < now - STALE_AFTER


class _Found(NamedTuple):
    """An entry's file as read: where, its document, and its version."""

    location: Location
    document: dict[str, Any]
    version: str


class _Folders:
    """Collection folders opened during one batch, each opened once."""

    def __init__(self, root: Folder) -> None:
        self.root = root
        self._open: dict[str, Folder | None] = {}

    def get(self, name: str) -> Folder | None:
        if name not in self._open:
            self._open[name] = self.root.subfolder(name, create=False)
        return self._open[name]

    def adopt(self, name: str, folder: Folder) -> None:
        """Keep ``folder`` (just made) as the open folder ``name``."""
        self._open[name] = folder

    def close(self) -> None:
        for folder in self._open.values():
            if folder is not None:
                folder.close()
        self._open.clear()


class FileTree:
    """A folder of collection folders of JSON entry files.

    Args:
        root: The store's folder (created on :meth:`open`).
        fsync: Flush each written file to disk before it replaces the entry.
    """

    def __init__(self, root: str, *, fsync: bool) -> None:
        self.root = root
        self.fsync = fsync
        self.limits = V1Limits()
        self._sweep_cursor: tuple[str, str] | None = None
        self.lock = TreeLock(root)

    def open(self) -> None:
        """Create the root folder if missing and learn the file system's name limits."""
        os.makedirs(self.root, exist_ok=True)
        name_max, path_max = 255, 4096
        with contextlib.suppress(OSError, ValueError, AttributeError):
            name_max = os.pathconf(self.root, "PC_NAME_MAX")
            path_max = os.pathconf(self.root, "PC_PATH_MAX")
        self.limits = V1Limits(
            collection=name_max - 10,
            key=min(path_max - len(self.root.replace(os.sep, "/")), name_max - 5),
        )

    @contextlib.contextmanager
    def _batch(self) -> Iterator[_Folders]:
        with open_root(self.root) as root:
            folders = _Folders(root)
            try:
                yield folders
            finally:
                folders.close()

    # --- entries -------------------------------------------------------------------

    def fetch(self, collection: str, keys: Sequence[str]) -> list[StoredEntry | None]:
        """The entries of ``keys``, in order (``None`` where absent)."""
        with self._batch() as folders:
            return [self._read_entry(folders, collection, key) for key in keys]

    def _read_entry(self, folders: _Folders, collection: str, key: str) -> StoredEntry | None:
        found = self._find(folders, collection, key)
        return None if found is None else _entry(found.document, key)

    def _find(self, folders: _Folders, collection: str, key: str) -> _Found | None:
        """The first location holding the entry, expired or not (``None``: nowhere).

        Raises:
            DeserializationError: kv's own file of the entry is not a JSON document.
        """
        for location in locations(collection, key, self.limits):
            try:
                folder = folders.get(location.folder)
                if folder is None:
                    continue
                read = folder.read_with_identity(location.file)
            except KeyValueError as error:
                error.add_context(key=key)
                raise
            if read is None:
                continue
            data, identity = read
            document = _parse(data)
            if document is None:
                if location.primary:
                    raise DeserializationError("Stored file is not a JSON document", key=key)
                continue
            if _belongs(document, location, collection, key):
                # The file's identity changes with every write, even of the same bytes.
                version = content_version(location.folder, location.file, data, *identity)
                return _Found(location, document, version)
        return None

    def put(self, collection: str, keys: Sequence[str], entries: Sequence[StoredEntry]) -> None:
        """Write each entry's document atomically (later duplicates win)."""
        pending = [
            (encode_path_segment(key) + SUFFIX, render_document(collection, key, entry))
            for key, entry in zip(keys, entries)
        ]
        folder_name = encode_path_segment(collection)
        written = 0  # an index, not pending.pop(0): that made a batch quadratic in its size
        with open_root(self.root) as root:
            for _ in range(_WRITE_ATTEMPTS):
                folder = root.subfolder(folder_name, create=True)
                assert folder is not None
                try:
                    with folder:
                        while written < len(pending):
                            name, data = pending[written]
                            folder.write(name, data, fsync=self.fsync)
                            written += 1
                    return
                except FileNotFoundError:
                    continue  # the folder was removed (emptied by a cull): make it again
            raise FileNotFoundError(f"the collection folder {folder_name!r} keeps disappearing")

    def delete(self, collection: str, keys: Sequence[str], now: float) -> int:
        """Delete ``keys`` wherever they are; count those that were live."""
        live = 0
        key: str | None = None
        with self._batch() as folders:
            try:
                for key in dict.fromkeys(keys):
                    live += self._delete_entry(folders, collection, key, now)
            except KeyValueError as error:
                error.add_context(key=key)
                raise
        return live

    def _delete_entry(
        self,
        folders: _Folders,
        collection: str,
        key: str,
        now: float,
        *,
        foreign_only: bool = False,
    ) -> bool:
        live = False
        for location in locations(collection, key, self.limits):
            if foreign_only and location.primary:
                continue
            folder = folders.get(location.folder)
            if folder is None:
                continue
            if location.primary:
                live = self._delete_file(folder, location, collection, key, now) or live
            elif folder.identity(location.file) is not None:
                # The file may be kv's own file of another key, moved aside for a moment:
                # under the lock, so no conditional write takes it as absent meanwhile.
                with self.lock.held_if_used():
                    live = self._delete_file(folder, location, collection, key, now) or live
        return live

    @staticmethod
    def _delete_file(
        folder: Folder, location: Location, collection: str, key: str, now: float
    ) -> bool:
        """Delete the entry's file at ``location``; whether it was live there."""
        taken = folder.take(location.file)
        if taken is None:
            return False
        try:
            data = folder.read(taken)
        except (PathSecurityError, DeserializationError):
            data = None  # a planted link or device: never followed, just removed
            if not location.primary:
                folder.give_back(taken, location.file)
                return False
        document = None if data is None else _parse(data)
        if document is None:
            if location.primary:  # a damaged entry of ours: gone, it did exist
                folder.unlink(taken)
                return data is not None
            folder.give_back(taken, location.file)
            return False
        if not _belongs(document, location, collection, key):
            folder.give_back(taken, location.file)
            return False
        folder.unlink(taken)
        return not _expired(document, now)

    # --- conditional writes (the atomic capability) ------------------------------------

    def versioned(self, collection: str, key: str) -> tuple[StoredEntry, str] | None:
        """The entry of ``key`` (expired or not) and its version; ``None`` if absent.

        No lock: a file is replaced whole by a rename, so it is read whole.
        """
        with self._batch() as folders:
            found = self._find(folders, collection, key)
        return None if found is None else (_entry(found.document, key), found.version)

    def put_if_absent(self, collection: str, key: str, entry: StoredEntry) -> bool:
        """Write ``entry`` unless a live entry exists (under the lock); whether it wrote.

        With no file at kv's own location the file is created exclusively,
        so a plain ``put`` that lands meanwhile is kept (and this one loses).
        """
        data = render_document(collection, key, entry)

        def write(folders: _Folders) -> bool:
            found = self._find(folders, collection, key)
            if found is not None and _live(_entry(found.document, key), entry.created_at):
                return False
            folder = self._own_folder(folders, collection)
            name = encode_path_segment(key) + SUFFIX
            if found is not None and found.location.primary:
                folder.write(name, data, fsync=self.fsync)  # over an expired file
                return True
            if folder.identity(name) is not None:  # not this entry's: as put does
                folder.write(name, data, fsync=self.fsync)
                return True
            return folder.create(name, data, fsync=self.fsync)

        return self._write_under_lock(collection, write)

    def put_if_version(self, collection: str, key: str, entry: StoredEntry, version: str) -> bool:
        """Write ``entry`` if the live entry has ``version`` (under the lock); whether it wrote."""
        data = render_document(collection, key, entry)

        def write(folders: _Folders) -> bool:
            found = self._find(folders, collection, key)
            if found is None or not _live(_entry(found.document, key), entry.created_at):
                return False
            if found.version != version:
                return False
            folder = self._own_folder(folders, collection)
            folder.write(encode_path_segment(key) + SUFFIX, data, fsync=self.fsync)
            return True

        return self._write_under_lock(collection, write)

    def _write_under_lock(self, collection: str, write: Callable[[_Folders], bool]) -> bool:
        """``write(folders)`` under the tree lock, with folders opened for it; once more
        (up to ``_WRITE_ATTEMPTS`` times) when a folder was removed meanwhile (emptied
        by a cull), so that ``write`` looks again."""
        with self.lock.held():
            for _ in range(_WRITE_ATTEMPTS):
                with self._batch() as folders:
                    try:
                        return write(folders)
                    except FileNotFoundError:
                        continue
            raise FileNotFoundError(f"the folder of collection {collection!r} keeps disappearing")

    def delete_if_version(self, collection: str, key: str, version: str, now: float) -> bool:
        """Delete the entry if it is live and has ``version`` (under the lock); whether it did.

        py-key-value's copies of the entry are deleted with it, as ``delete``
        does, so none shows through.
        """
        with self.lock.held(), self._batch() as folders:
            found = self._find(folders, collection, key)
            if found is None or not _live(_entry(found.document, key), now):
                return False
            if found.version != version:
                return False
            folder = folders.get(found.location.folder)
            taken = None if folder is None else folder.take(found.location.file)
            if folder is None or taken is None:
                return False  # deleted meanwhile by a plain delete
            read = folder.read_with_identity(taken)
            if read is None:
                return False
            data, identity = read
            location = found.location
            if content_version(location.folder, location.file, data, *identity) != version:
                folder.give_back(taken, location.file)  # a plain put landed meanwhile
                return False
            folder.unlink(taken)
            self._delete_entry(folders, collection, key, now, foreign_only=True)
            return True

    @staticmethod
    def _own_folder(folders: _Folders, collection: str) -> Folder:
        """kv's folder of ``collection``, made if missing."""
        name = encode_path_segment(collection)
        folder = folders.get(name)
        if folder is None:
            folder = folders.root.subfolder(name, create=True)
            assert folder is not None
            folders.adopt(name, folder)
        return folder

    # --- enumeration -----------------------------------------------------------------

    def key_names(self, collection: str) -> list[str]:
        """Every key of ``collection`` (expired entries not yet culled included)."""
        names: set[str] = set()
        with self._batch() as folders:
            for folder_name, own in collection_folders(collection, self.limits):
                try:
                    folder = folders.get(folder_name)
                except PathSecurityError:
                    continue  # a symlinked folder is not part of the store
                if folder is None:
                    continue
                for name in folder.file_names():
                    if not name.endswith(SUFFIX) or name.startswith(PRIVATE_PREFIX):
                        continue
                    stem = name[: -len(SUFFIX)]
                    key = decoded(stem) if own else stem
                    if key is None:
                        key = (
                            self._hashed_key(folder, name, collection)
                            if (stem.startswith("~"))
                            else stem
                        )
                    if key is not None:
                        names.add(key)
        return sorted(names)

    @staticmethod
    def _hashed_key(folder: Folder, name: str, collection: str) -> str | None:
        """The key of a file with a hashed name, from its document."""
        try:
            data = folder.read(name)
        except (PathSecurityError, DeserializationError):
            return None
        document = None if data is None else _parse(data)
        if document is None:
            return None
        key = document.get("key")
        if isinstance(key, str) and document.get("collection") == collection:
            return key
        return None

    def collection_names(self) -> list[str]:
        """Every collection with at least one entry file."""
        names: set[str] = set()
        with open_root(self.root) as root:
            listing = root.listing()
            files = {item.name for item in listing if item.is_file}
            for item in listing:
                if not item.is_dir or item.name.startswith(PRIVATE_PREFIX):
                    continue
                folder = root.subfolder(item.name, create=False)
                if folder is None:
                    continue
                with folder:
                    entry_files = [i.name for i in folder.listing() if _is_entry_file(i)]
                    if not entry_files:
                        continue
                    name = self._collection_of(root, folder, item.name, files, entry_files)
                if name is not None:
                    names.add(name)
        return sorted(names)

    def _collection_of(
        self, root: Folder, folder: Folder, folder_name: str, files: set[str], entries: list[str]
    ) -> str | None:
        """The collection a folder holds: its kv name, py-key-value's metadata, or a document."""
        name = decoded(folder_name)
        if name is not None and not folder_name.startswith("S_"):
            return name
        if folder_name + _INFO_SUFFIX in files:  # py-key-value's collection metadata
            with contextlib.suppress(KeyValueError):
                data = root.read(folder_name + _INFO_SUFFIX)
                info = None if data is None else _parse(data)
                collection = None if info is None else info.get("collection")
                if isinstance(collection, str) and any(
                    folder_name == candidate
                    for candidate, _ in collection_folders(collection, self.limits)
                ):
                    return collection
        if name is not None:
            return name
        if folder_name.startswith("~"):  # a hashed name: the documents know
            for entry_name in entries[:5]:
                with contextlib.suppress(KeyValueError):
                    data = folder.read(entry_name)
                    document = None if data is None else _parse(data)
                    collection = None if document is None else document.get("collection")
                    if isinstance(collection, str) and (
                        encode_path_segment(collection) == folder_name
                    ):
                        return collection
            return None
        return folder_name  # py-key-value's name as it is

    # --- removal -------------------------------------------------------------------

    def destroy(self) -> bool:
        """Delete every collection folder (and py-key-value's metadata files)."""
        found = False
        with open_root(self.root) as root:
            for item in root.listing():
                if item.is_dir and (
                    not item.name.startswith(PRIVATE_PREFIX)
                    or item.name.startswith(PRIVATE_PREFIX + "trash")
                ):
                    found = self._remove_folder(root, item.name) or found
                elif item.is_file and item.name.endswith(_INFO_SUFFIX):
                    root.unlink(item.name)
        return found

    def destroy_collection(self, collection: str) -> bool:
        """Delete a collection's folder (and, in py-key-value's folders, its files)."""
        found = False
        with open_root(self.root) as root:
            for folder_name, own in collection_folders(collection, self.limits):
                folder = root.subfolder(folder_name, create=False)
                if folder is None:
                    continue
                if own:
                    folder.close()
                    found = self._remove_folder(root, folder_name) or found
                    continue
                with folder:  # py-key-value's spot: only documents naming no other entry
                    for item in folder.listing():
                        if _is_entry_file(item) and self._take_foreign(folder, item.name):
                            found = True
                if root.remove_folder(folder_name):
                    root.unlink(folder_name + _INFO_SUFFIX)
        return found

    @staticmethod
    def _take_foreign(folder: Folder, name: str) -> bool:
        taken = folder.take(name)
        if taken is None:
            return False
        try:
            data = folder.read(taken)
        except (PathSecurityError, DeserializationError):
            data = None
        document = None if data is None else _parse(data)
        if document is not None and "key" not in document:
            folder.unlink(taken)
            return True
        folder.give_back(taken, name)
        return False

    @staticmethod
    def _remove_folder(root: Folder, folder_name: str) -> bool:
        """Move a folder out of the way, then delete it; whether it held entries."""
        trash = f"{PRIVATE_PREFIX}trash-{os.urandom(8).hex()}"
        if not root.rename(folder_name, trash):
            return False
        root.unlink(folder_name + _INFO_SUFFIX)
        with contextlib.ExitStack() as stack:
            folder = root.subfolder(trash, create=False)
            if folder is None:
                return False
            stack.enter_context(folder)
            found = any(_is_entry_file(item) for item in folder.listing())
        shutil.rmtree(os.path.join(root.path, trash), ignore_errors=True)
        return found

    def cull(self, now: float, limit: int | None) -> int:
        """Delete entry files that expired at or before ``now``; return how many.

        With a ``limit`` (a sweep during writes) at most ``limit`` files are
        removed and at most ``limit * 4`` read; the next sweep continues
        where this one stopped. Empty collection folders are removed
        (``rmdir`` removes only an empty folder, so a concurrent write is
        never lost), and so are leftovers of crashed writes.
        """
        budget = None if limit is None else max(1, limit) * SWEEP_READS_PER_REMOVAL
        cursor = self._sweep_cursor if limit is not None else None
        removed = 0
        reads = 0
        with open_root(self.root) as root:
            folders = []
            for item in root.listing():
                if item.is_dir and not item.name.startswith(PRIVATE_PREFIX):
                    folders.append(item.name)
                elif item.is_dir and item.mtime < now - STALE_AFTER:
                    shutil.rmtree(os.path.join(root.path, item.name), ignore_errors=True)
            for folder_name in sorted(folders):
                if cursor is not None and folder_name < cursor[0]:
                    continue
                try:
                    folder = root.subfolder(folder_name, create=False)
                except (PathSecurityError, OSError):
                    continue
                if folder is None:
                    continue
                left = 0
                with folder:
                    for item in sorted(folder.listing()):
                        if cursor is not None and (folder_name, item.name) < cursor:
                            left += 1
                            continue
                        if not _is_entry_file(item):
                            if _stale_private_file(item, now):
                                folder.unlink(item.name)
                            else:
                                left += 1
                            continue
                        if (limit is not None and removed >= limit) or (
                            budget is not None and reads >= budget
                        ):
                            self._sweep_cursor = (folder_name, item.name)
                            return removed
                        reads += 1
                        if self._cull_file(folder, item.name, now):
                            removed += 1
                        else:
                            left += 1
                if left == 0 and root.remove_folder(folder_name):
                    root.unlink(folder_name + _INFO_SUFFIX)
                cursor = None
        self._sweep_cursor = None
        return removed

    def _cull_file(self, folder: Folder, name: str, now: float) -> bool:
        """Delete ``name`` if it expired, unless a write replaced it meanwhile.

        The file is moved aside under the conditional-write lock (once a
        conditional write made it): a newer file moved aside by mistake is
        not seen as absent by a conditional write.
        """
        try:
            found = folder.read_with_identity(name)
        except (PathSecurityError, DeserializationError, OSError):
            return False
        if found is None:
            return True  # already gone
        data, identity = found
        document = _parse(data)
        if document is None or not _expired(document, now):
            return False
        with self.lock.held_if_used():
            current = folder.identity(name)
            if current is None:
                return True  # already gone
            if current != identity:
                return False  # a newer write landed since the read
            taken = folder.take(name)
            if taken is None:
                return True
            if folder.identity(taken) == identity:
                folder.unlink(taken)
                return True
            folder.give_back(taken, name)  # a plain write landed between the check and the take
            return False
