"""The blocking work of a keyring store: entries, their index, expiry.

:class:`KeyringEngine` does everything a :class:`~kv_keyring.store.KeyringStore`
hook needs as one blocking call, which the store runs in a worker thread
while holding the keyring lock. It keeps three things consistent under that
lock: the entries, the index of each collection and the list of collections
(see :mod:`kv_keyring.index`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from kv.atomic import content_version
from kv.entry import (
    StoredEntry,
    document_expiry,
    document_is_live,
    document_names_match,
    encode_document,
    entry_from_fields,
    parse_document,
)
from kv.errors import DeserializationError, EntryTooLargeError
from kv_keyring.blobs import BlobIO, parse_manifest
from kv_keyring.index import CollectionIndex, KeyRecord, RootIndex
from kv_keyring.naming import ROOT_USERNAME, entry_username, index_username, legacy_username

__all__ = ["KeyringEngine", "PlannedWrite"]

PlannedWrite = tuple[str, list[str], float | None]
"""One entry ready to write: (key, pieces of its document, expires_at)."""


class KeyringEngine:
    """Blocking operations on one keyring service.

    Args:
        blobs: Text storage over the keyring backend.
        max_chunks: Most keyring entries one entry's document may span.
        legacy_names: Also find entries under py-key-value's plain usernames.
    """

    def __init__(self, blobs: BlobIO, *, max_chunks: int, legacy_names: bool) -> None:
        self.blobs = blobs
        self.max_chunks = max_chunks
        self.legacy_names = legacy_names

    # --- reads -------------------------------------------------------------------

    def read_entries(self, collection: str, keys: Sequence[str]) -> list[StoredEntry | None]:
        """The entries of ``keys``, in order (``None`` where absent)."""
        found: dict[str, StoredEntry | None] = {}
        for key in keys:
            if key not in found:
                found[key] = self._read_entry(collection, key)
        # Repeated keys share one entry here: the base store copies its value.
        return [found[key] for key in keys]

    def _read_entry(self, collection: str, key: str) -> StoredEntry | None:
        try:
            head = self.blobs.get(entry_username(collection, key))
            if head is not None:
                document = parse_document(self.blobs.follow(head))
                if document_names_match(document, collection, key):
                    return entry_from_fields(document)
            legacy = self._legacy(collection, key)
            return None if legacy is None else entry_from_fields(legacy)
        except DeserializationError as error:
            error.add_context(key=key)
            raise

    def _find(self, collection: str, key: str) -> tuple[dict[str, Any], str] | None:
        """The document of ``key`` (expired or not) and its version; ``None`` if absent.

        The version is derived from the text stored under the entry's
        username: the document itself, or for a value split across entries
        the manifest, whose generation is new on every write.

        Raises:
            DeserializationError: the stored document is damaged (key named).
        """
        try:
            head = self.blobs.get(entry_username(collection, key))
            if head is not None:
                document = parse_document(self.blobs.follow(head))
                if document_names_match(document, collection, key):
                    return document, content_version("kv", head)
            legacy = self._legacy_with_text(collection, key)
        except DeserializationError as error:
            error.add_context(key=key)
            raise
        return None if legacy is None else (legacy[0], content_version("legacy", legacy[1]))

    def _legacy(self, collection: str, key: str) -> dict[str, Any] | None:
        """The document py-key-value wrote for exactly this pair, if any."""
        found = self._legacy_with_text(collection, key)
        return None if found is None else found[0]

    def _legacy_with_text(self, collection: str, key: str) -> tuple[dict[str, Any], str] | None:
        """py-key-value's document of exactly this pair and its stored text, if any."""
        if not self.legacy_names:
            return None
        username = legacy_username(collection, key)
        if username is None:
            return None
        text = self.blobs.get(username)
        if text is None:
            return None
        document = parse_document(text)
        return (document, text) if document_names_match(document, collection, key) else None

    def live_keys(self, collection: str, now: float) -> list[str]:
        """The keys of ``collection`` that have not expired, sorted."""
        index, _ = self._read_index(collection)
        live = index.live(now)
        for key in index.expired(now):
            # The recorded expiry may be earlier than the entry's own: ask it.
            head = self.blobs.get(entry_username(collection, key))
            if head is not None and self._is_live(head, now):
                live.append(key)
        return sorted(live)

    def collections(self) -> list[str]:
        """The collections that hold entries, sorted."""
        root, _ = self._read_root()
        return sorted(root.collections)

    # --- writes ------------------------------------------------------------------

    def plan(
        self, collection: str, keys: Sequence[str], entries: Sequence[StoredEntry]
    ) -> list[PlannedWrite]:
        """Encode and cut every document before anything is written (later duplicates win).

        Raises:
            EntryTooLargeError: a document needs more than ``max_chunks`` entries.
        """
        latest: dict[str, StoredEntry] = {}
        for key, entry in zip(keys, entries):
            latest.pop(key, None)
            latest[key] = entry
        planned: list[PlannedWrite] = []
        for key, entry in latest.items():
            document = encode_document(entry, collection=collection, key=key)
            try:
                pieces = self.blobs.plan(document, self.max_chunks)
            except EntryTooLargeError as error:
                error.add_context(key=key)
                raise
            planned.append((key, pieces, entry.expires_at))
        return planned

    def write_entries(self, collection: str, planned: Sequence[PlannedWrite]) -> None:
        """Write planned entries and record them in the index."""
        index, index_head = self._read_index(collection)
        was_empty = not index.keys
        changed = False
        for key, pieces, expires_at in planned:
            username = entry_username(collection, key)
            old = index.keys.get(key)
            old_head = self.blobs.get(username) if old is not None and old[1] else None
            split = self.blobs.write(username, pieces, old_head)
            if old is None:
                self._drop_legacy(collection, key)
            record: KeyRecord = (_recorded_expiry(old, expires_at), split)
            if old != record:
                index.keys[key] = record
                changed = True
        if changed:
            self._save_index(index, index_head)
        if was_empty and index.keys:
            self._update_root(add=collection)

    def delete_entries(self, collection: str, keys: Iterable[str], now: float) -> int:
        """Delete ``keys``; return how many were live (stored and unexpired)."""
        index, index_head = self._read_index(collection)
        live = 0
        changed = False
        for key in dict.fromkeys(keys):
            record = index.keys.pop(key, None)
            if self._delete_entry(collection, key, record, now):
                live += 1
            if record is not None:
                changed = True
        if changed:
            self._save_index(index, index_head)
        return live

    def _delete_entry(
        self, collection: str, key: str, record: KeyRecord | None, now: float
    ) -> bool:
        username = entry_username(collection, key)
        if record is not None and not record[1] and (record[0] is None or record[0] > now):
            # Written by kv in one piece and not expired (the recorded expiry
            # is never later than the real one): whether it still existed is
            # what the delete itself answers.
            existed = live = self.blobs.delete_one(username)
        else:
            head = self.blobs.get(username)
            existed = head is not None and self._owns(head, collection, key)
            live = False
            if head is not None and existed:
                live = self._is_live(head, now)
                self.blobs.delete(username, head)
        try:
            legacy = self._legacy(collection, key)
        except DeserializationError:
            legacy = None  # not provably this pair's: left alone
        if legacy is not None:
            # Deleted too, or it would show through once kv's entry is gone.
            if not existed:
                live = document_is_live(legacy, now)
            legacy_name = legacy_username(collection, key)
            if legacy_name is not None:
                self.blobs.delete_one(legacy_name)
        return live

    def _drop_legacy(self, collection: str, key: str) -> None:
        """Delete py-key-value's entry of the pair, now that kv's replaces it.

        Otherwise it would show through once kv's entry is culled or destroyed.
        """
        try:
            legacy = self._legacy(collection, key)
        except DeserializationError:
            return  # not provably this pair's: left alone
        legacy_name = legacy_username(collection, key)
        if legacy is not None and legacy_name is not None:
            self.blobs.delete_one(legacy_name)

    def _owns(self, head: str, collection: str, key: str) -> bool:
        """Whether the entry ``head`` belongs to the pair (a damaged one is taken as so)."""
        try:
            return document_names_match(parse_document(self.blobs.follow(head)), collection, key)
        except DeserializationError:
            return True

    def _is_live(self, head: str, now: float) -> bool:
        try:
            document = parse_document(self.blobs.follow(head))
        except DeserializationError:
            return True  # it existed; whether it expired cannot be told
        return document_is_live(document, now)

    # --- conditional writes (the atomic capability) ------------------------------
    #
    # Each runs as one call holding the keyring lock, like every other call:
    # no other kv writer of this keyring runs between its check and its write.

    def versioned(self, collection: str, key: str) -> tuple[StoredEntry, str] | None:
        """The entry of ``key`` (expired or not) and its version; ``None`` if absent."""
        found = self._find(collection, key)
        if found is None:
            return None
        document, version = found
        try:
            return entry_from_fields(document), version
        except DeserializationError as error:
            error.add_context(key=key)
            raise

    def put_if_absent(self, collection: str, planned: PlannedWrite, now: float) -> bool:
        """Write ``planned`` unless its key has a live entry; return whether it wrote."""
        found = self.versioned(collection, planned[0])
        if found is not None and _live(found[0], now):
            return False
        self.write_entries(collection, [planned])
        return True

    def put_if_version(
        self, collection: str, planned: PlannedWrite, version: str, now: float
    ) -> bool:
        """Write ``planned`` if its key's live entry has ``version``; return whether it wrote."""
        found = self.versioned(collection, planned[0])
        if found is None or found[1] != version or not _live(found[0], now):
            return False
        self.write_entries(collection, [planned])
        return True

    def delete_if_version(self, collection: str, key: str, version: str, now: float) -> bool:
        """Delete ``key`` if its live entry has ``version``; return whether it did."""
        found = self.versioned(collection, key)
        if found is None or found[1] != version or not _live(found[0], now):
            return False
        self.delete_entries(collection, [key], now)
        return True

    # --- expiry ------------------------------------------------------------------

    def cull(self, now: float, limit: int | None) -> int:
        """Delete entries that expired at or before ``now`` (at most ``limit``)."""
        root, root_head = self._read_root()
        removed = 0
        emptied: list[str] = []
        for collection in sorted(root.collections):
            if limit is not None and removed >= limit:
                break
            index, index_head = self._read_index(collection)
            expired = index.expired(now)
            if not expired:
                continue
            if limit is not None:
                expired = expired[: limit - removed]
            for key in expired:
                if self._cull_entry(index, key, now):
                    removed += 1
            self._save_index(index, index_head, update_root=False)
            if not index.keys:
                emptied.append(collection)
        if emptied:
            root.collections.difference_update(emptied)
            self._save_root(root, root_head)
        return removed

    def _cull_entry(self, index: CollectionIndex, key: str, now: float) -> bool:
        username = entry_username(index.collection, key)
        head = self.blobs.get(username)
        if head is None:
            del index.keys[key]
            return False
        try:
            expires_at = document_expiry(parse_document(self.blobs.follow(head)))
        except DeserializationError:
            expires_at = now  # unreadable and recorded as expired: reclaim it
        if expires_at is not None and expires_at <= now:
            self.blobs.delete(username, head)
            del index.keys[key]
            return True
        # Rewritten since (by a process that did not update the index): keep it.
        index.keys[key] = (expires_at, parse_manifest(head) is not None)
        return False

    # --- destroy -----------------------------------------------------------------

    def destroy(self) -> bool:
        """Delete every entry of every collection, and the index."""
        root, root_head = self._read_root()
        existed = False
        for collection in root.collections:
            existed = self._destroy_collection(collection) or existed
        if root_head is not None:
            self.blobs.delete(ROOT_USERNAME, root_head)
        return existed

    def destroy_collection(self, collection: str) -> bool:
        """Delete every entry of ``collection``; return whether it held any."""
        existed = self._destroy_collection(collection)
        self._update_root(remove=collection)
        return existed

    def _destroy_collection(self, collection: str) -> bool:
        username = index_username(collection)
        head = self.blobs.get(username)
        if head is None:
            return False
        try:
            index = CollectionIndex.decode(collection, self.blobs.follow(head))
        except DeserializationError:
            index = CollectionIndex(collection)  # a damaged index cannot name its keys
        for key in index.keys:
            entry_name = entry_username(collection, key)
            self.blobs.delete(entry_name, self.blobs.get(entry_name))
        self.blobs.delete(username, head)
        return bool(index.keys)

    # --- index plumbing ----------------------------------------------------------

    def _read_index(self, collection: str) -> tuple[CollectionIndex, str | None]:
        head = self.blobs.get(index_username(collection))
        text = None if head is None else self.blobs.follow(head)
        return CollectionIndex.decode(collection, text), head

    def _save_index(
        self, index: CollectionIndex, head: str | None, *, update_root: bool = True
    ) -> None:
        username = index_username(index.collection)
        if index.keys:
            self.blobs.write(username, self.blobs.plan(index.encode(), None), head)
            return
        if head is not None:
            self.blobs.delete(username, head)
        if update_root:
            self._update_root(remove=index.collection)

    def _read_root(self) -> tuple[RootIndex, str | None]:
        head = self.blobs.get(ROOT_USERNAME)
        text = None if head is None else self.blobs.follow(head)
        return RootIndex.decode(text), head

    def _save_root(self, root: RootIndex, head: str | None) -> None:
        if root.collections:
            self.blobs.write(ROOT_USERNAME, self.blobs.plan(root.encode(), None), head)
        elif head is not None:
            self.blobs.delete(ROOT_USERNAME, head)

    def _update_root(self, *, add: str | None = None, remove: str | None = None) -> None:
        root, head = self._read_root()
        if add is not None and add not in root.collections:
            root.collections.add(add)
        elif remove is not None and remove in root.collections:
            root.collections.discard(remove)
        else:
            return
        self._save_root(root, head)


def _live(entry: StoredEntry, now: float) -> bool:
    """Whether ``entry`` has not expired at ``now``."""
    return entry.expires_at is None or entry.expires_at > now


def _recorded_expiry(old: KeyRecord | None, expires_at: float | None) -> float | None:
    """The expiry to record for an entry written with ``expires_at``.

    The index keeps a lower bound of each entry's expiry, which is all
    ``cull()`` needs to find candidates (it checks each entry itself). An
    overwrite that expires later than the recorded time (or never) keeps the
    record as it is, so a token refreshed with the same TTL does not rewrite
    the index on every write.
    """
    if old is None or old[0] is None:
        return expires_at
    recorded = old[0]
    if expires_at is None or expires_at >= recorded:
        return recorded
    return expires_at
