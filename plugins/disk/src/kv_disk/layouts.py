"""Where a collection's entries live: one cache for all, or one per collection.

Both layouts offer the same blocking interface to the store, in kv's terms
(collection and key names); they differ in how names map onto diskcache rows:

* :class:`SingleLayout` (the default, py-key-value's ``DiskStore``): one cache
  in the directory, rows keyed ``collection::key`` (:func:`kv.names.compound_key`,
  which is exactly py-key-value's key for collections without ``:`` or ``%``).
* :class:`PerCollectionLayout` (py-key-value's ``MultiDiskStore``): one cache
  per collection in a sub-folder named :func:`kv.names.encode_path_segment`
  of the collection (letters, digits, ``_`` and ``-`` kept, so py-key-value's
  folder names for such collections are the same; long names are hashed and
  the original name is read back from the stored documents), rows keyed by
  the bare key.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Sequence

from kv.entry import StoredEntry, encode_document
from kv.names import (
    compound_key,
    compound_prefix,
    decode_path_segment,
    encode_path_segment,
    split_compound_key,
)
from kv_disk.cachefile import CacheFile, Fetched, upper_bound
from kv_disk.schema import CACHE_FILE

__all__ = ["Layout", "PerCollectionLayout", "SingleLayout"]

MAX_OPEN_CACHES = 64
"""Collection caches a per-collection store keeps open at once (3 files each)."""


class Layout:
    """The blocking operations a ``disk://`` store runs in its worker thread."""

    def __init__(self, root: str, *, timeout: float, max_size: int | None) -> None:
        self.root = root
        self.timeout = timeout
        self.max_size = max_size

    def open(self) -> None:
        """Create the root directory (and what else the layout needs)."""
        os.makedirs(self.root, exist_ok=True)

    def close(self) -> None:
        """Close every open database connection."""

    def fetch(self, collection: str, keys: Sequence[str]) -> list[Fetched | None]:
        """The rows of ``keys`` in order (``None`` where absent)."""
        raise NotImplementedError

    def put(self, collection: str, keys: Sequence[str], entries: Sequence[StoredEntry]) -> None:
        """Write the entries (later duplicates win)."""
        raise NotImplementedError

    def delete(self, collection: str, keys: Sequence[str], now: float) -> int:
        """Delete ``keys``; count those that were live."""
        raise NotImplementedError

    def key_page(self, collection: str, after: str | None, now: float, limit: int) -> list[str]:
        """Live keys of ``collection`` after ``after``, in order."""
        raise NotImplementedError

    def collection_names(self, after: str | None, now: float, limit: int) -> list[str]:
        """Collections holding live entries, after ``after``."""
        raise NotImplementedError

    def destroy(self, now: float) -> bool:
        """Delete every entry; whether any was live."""
        raise NotImplementedError

    def destroy_collection(self, collection: str, now: float) -> bool:
        """Delete a collection's entries; whether any was live."""
        raise NotImplementedError

    def cull(self, now: float, limit: int | None) -> int:
        """Delete expired rows (at most ``limit``); return the count."""
        raise NotImplementedError

    def locate(self, collection: str, key: str, *, create: bool) -> tuple[CacheFile | None, str]:
        """The cache that holds ``(collection, key)`` (``None``: absent, not created)
        and its row's key."""
        raise NotImplementedError

    # --- atomic operations: one transaction of the entry's cache each ---------------

    def versioned(self, collection: str, key: str) -> tuple[Fetched, str] | None:
        """The entry of ``(collection, key)`` and its version, or ``None``."""
        cache, db_key = self.locate(collection, key, create=False)
        return None if cache is None else cache.versioned(db_key)

    def put_if(
        self, collection: str, key: str, entry: StoredEntry, version: str | None, now: float
    ) -> bool:
        """Write ``entry`` if the live entry has ``version`` (``None``: if absent)."""
        cache, db_key = self.locate(collection, key, create=version is None)
        if cache is None:
            return False
        return cache.put_if(_rows([db_key], collection, [key], [entry])[0], version, now)

    def delete_one(self, collection: str, key: str, now: float) -> bool:
        """Delete the entry (expired too); whether it was live."""
        cache, db_key = self.locate(collection, key, create=False)
        return cache is not None and cache.delete_one(db_key, now)

    def delete_if(self, collection: str, key: str, version: str, now: float) -> bool:
        """Delete the entry if it is live and has ``version``."""
        cache, db_key = self.locate(collection, key, create=False)
        return cache is not None and cache.delete_if(db_key, version, now)


def _rows(
    db_keys: Sequence[str], collection: str, keys: Sequence[str], entries: Sequence[StoredEntry]
) -> list[tuple[str, str, float, float | None]]:
    rows = []
    for db_key, key, entry in zip(db_keys, keys, entries):
        document = encode_document(entry, collection=collection, key=key)
        stored = entry.created_at if entry.created_at is not None else 0.0
        rows.append((db_key, document, stored, entry.expires_at))
    return rows


class SingleLayout(Layout):
    """Every collection in one cache, rows keyed ``collection::key``."""

    def __init__(self, root: str, *, timeout: float, max_size: int | None) -> None:
        super().__init__(root, timeout=timeout, max_size=max_size)
        self.cache = CacheFile(root, timeout=timeout, max_size=max_size)

    def open(self) -> None:
        self.cache.open()

    def close(self) -> None:
        self.cache.close()

    def locate(self, collection: str, key: str, *, create: bool) -> tuple[CacheFile | None, str]:
        return self.cache, compound_key(collection, key)

    def fetch(self, collection: str, keys: Sequence[str]) -> list[Fetched | None]:
        db_keys = [compound_key(collection, key) for key in keys]
        found = self.cache.fetch(db_keys)
        return [found.get(db_key) for db_key in db_keys]

    def put(self, collection: str, keys: Sequence[str], entries: Sequence[StoredEntry]) -> None:
        db_keys = [compound_key(collection, key) for key in keys]
        self.cache.put(_rows(db_keys, collection, keys, entries))

    def delete(self, collection: str, keys: Sequence[str], now: float) -> int:
        return self.cache.delete([compound_key(collection, key) for key in keys], now)

    def key_page(self, collection: str, after: str | None, now: float, limit: int) -> list[str]:
        prefix = compound_prefix(collection)
        start = prefix if after is None else prefix + after
        page = self.cache.key_page(start, upper_bound(prefix), now, limit)
        return [db_key[len(prefix) :] for db_key in page]

    def collection_names(self, after: str | None, now: float, limit: int) -> list[str]:
        # A skip scan over the (key, raw) index: one lookup per collection.
        names: list[str] = []
        bound = "" if after is None else upper_bound(compound_prefix(after))
        inclusive = True
        while len(names) < limit:
            db_key = self.cache.first_key(bound, inclusive, now)
            if db_key is None:
                break
            head, separator, _ = db_key.partition("::")
            if not separator:  # not a kv row: step past it
                bound, inclusive = db_key, False
                continue
            prefix = head + "::"
            collection, _ = split_compound_key(db_key)
            if compound_prefix(collection) == prefix:  # rows kv can address
                names.append(collection)
            bound, inclusive = upper_bound(prefix), True
        return names

    def destroy(self, now: float) -> bool:
        return self.cache.delete_range(None, None, now)

    def destroy_collection(self, collection: str, now: float) -> bool:
        prefix = compound_prefix(collection)
        return self.cache.delete_range(prefix, upper_bound(prefix), now)

    def cull(self, now: float, limit: int | None) -> int:
        return self.cache.cull(now, limit)


class PerCollectionLayout(Layout):
    """One cache per collection, in ``root/<encode_path_segment(collection)>/``."""

    def __init__(self, root: str, *, timeout: float, max_size: int | None) -> None:
        super().__init__(root, timeout=timeout, max_size=max_size)
        self._open: OrderedDict[str, CacheFile] = OrderedDict()

    def close(self) -> None:
        while self._open:
            _, cache = self._open.popitem()
            cache.close()

    def _cache(self, folder: str, *, create: bool) -> CacheFile | None:
        """The cache in ``root/folder``; ``None`` if absent and not ``create``."""
        cache = self._open.get(folder)
        if cache is not None:
            self._open.move_to_end(folder)
            return cache
        cache = CacheFile(
            os.path.join(self.root, folder), timeout=self.timeout, max_size=self.max_size
        )
        if not create and not cache.exists():
            return None
        cache.open()
        self._open[folder] = cache
        while len(self._open) > MAX_OPEN_CACHES:
            _, oldest = self._open.popitem(last=False)
            oldest.close()
        return cache

    def _folders(self) -> list[str]:
        """Sub-folders of the root that hold a cache."""
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return []
        return sorted(
            entry.name
            for entry in entries
            if entry.is_dir(follow_symlinks=False)
            and os.path.isfile(os.path.join(entry.path, CACHE_FILE))
        )

    def _name_of(self, folder: str, cache: CacheFile) -> str | None:
        """The collection a folder holds (``None``: not one kv can address)."""
        name = decode_path_segment(folder) if _decodable(folder) else None
        if name is not None:
            return name if encode_path_segment(name) == folder else None
        text = cache.sample_text()  # a hashed name: the documents know
        if text is None:
            return None
        try:
            collection = json.loads(text).get("collection")
        except (ValueError, AttributeError):
            return None
        if isinstance(collection, str) and encode_path_segment(collection) == folder:
            return collection
        return None

    def locate(self, collection: str, key: str, *, create: bool) -> tuple[CacheFile | None, str]:
        return self._cache(encode_path_segment(collection), create=create), key

    def fetch(self, collection: str, keys: Sequence[str]) -> list[Fetched | None]:
        cache = self._cache(encode_path_segment(collection), create=False)
        if cache is None:
            return [None] * len(keys)
        found = cache.fetch(keys)
        return [found.get(key) for key in keys]

    def put(self, collection: str, keys: Sequence[str], entries: Sequence[StoredEntry]) -> None:
        cache = self._cache(encode_path_segment(collection), create=True)
        assert cache is not None
        cache.put(_rows(keys, collection, keys, entries))

    def delete(self, collection: str, keys: Sequence[str], now: float) -> int:
        cache = self._cache(encode_path_segment(collection), create=False)
        return 0 if cache is None else cache.delete(keys, now)

    def key_page(self, collection: str, after: str | None, now: float, limit: int) -> list[str]:
        cache = self._cache(encode_path_segment(collection), create=False)
        if cache is None:
            return []
        return cache.key_page("" if after is None else after, None, now, limit)

    def collection_names(self, after: str | None, now: float, limit: int) -> list[str]:
        names = []
        for folder in self._folders():
            cache = self._cache(folder, create=False)
            if cache is None or not cache.has_live(now):
                continue
            name = self._name_of(folder, cache)
            if name is not None:
                names.append(name)
        names.sort()
        if after is not None:
            names = [name for name in names if name > after]
        return names[:limit]

    def destroy(self, now: float) -> bool:
        live = False
        for folder in self._folders():
            cache = self._cache(folder, create=False)
            if cache is not None and cache.delete_range(None, None, now):
                live = True
        return live

    def destroy_collection(self, collection: str, now: float) -> bool:
        cache = self._cache(encode_path_segment(collection), create=False)
        return cache is not None and cache.delete_range(None, None, now)

    def cull(self, now: float, limit: int | None) -> int:
        removed = 0
        for folder in self._folders():
            if limit is not None and removed >= limit:
                break
            cache = self._cache(folder, create=False)
            if cache is not None:
                removed += cache.cull(now, None if limit is None else limit - removed)
        return removed


def _decodable(folder: str) -> bool:
    try:
        return decode_path_segment(folder) is not None
    except (UnicodeDecodeError, ValueError):
        return False
