"""The index: which collections and keys a keyring store holds.

A keyring cannot list its entries, so the store keeps two kinds of index
entries beside them (JSON, under usernames no entry can have):

* ``kv:collections``: ``{"version": 1, "collections": ["users", ...]}``, the
  collections that hold at least one entry;
* ``kv:index:{collection}``: ``{"version": 1, "collection": "users",
  "keys": {"alice": [1767225600.0, 0], "bob": [null, 1]}}``: every key with
  its expiry time (seconds since the epoch, ``null`` for never) and whether
  its value is split across entries.

The expiry times let ``cull()`` and the sweep find expired entries without
reading every entry. A recorded time is a lower bound: an overwrite that
expires later leaves the record alone (so refreshing a token does not
rewrite the index), and whoever finds a recorded time passed reads the entry
itself before deciding. Index entries are updated under the keyring lock, after the
entry they describe is written, so a crash in between leaves at most an
entry that is readable but not listed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kv.errors import DeserializationError

__all__ = ["INDEX_VERSION", "CollectionIndex", "KeyRecord", "RootIndex"]

INDEX_VERSION = 1

KeyRecord = tuple[float | None, bool]
"""What the index knows of one key: (expires_at, split across entries)."""

_dump = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode


def _load(text: str, what: str) -> dict[str, Any]:
    try:
        decoded = json.loads(text)
    except ValueError:
        raise DeserializationError(f"The {what} is damaged (not JSON)") from None
    if type(decoded) is not dict or decoded.get("version") != INDEX_VERSION:
        raise DeserializationError(f"The {what} is damaged or of an unknown version")
    return decoded


@dataclass
class RootIndex:
    """The collections that hold entries."""

    collections: set[str] = field(default_factory=set)

    @classmethod
    def decode(cls, text: str | None) -> RootIndex:
        """Parse the stored text (``None``: no index yet, an empty one)."""
        if text is None:
            return cls()
        decoded = _load(text, "list of collections")
        names = decoded.get("collections")
        if type(names) is not list or not all(type(name) is str for name in names):
            raise DeserializationError("The list of collections is damaged")
        return cls(set(names))

    def encode(self) -> str:
        """The JSON text to store."""
        return _dump({"version": INDEX_VERSION, "collections": sorted(self.collections)})


@dataclass
class CollectionIndex:
    """The keys of one collection."""

    collection: str
    keys: dict[str, KeyRecord] = field(default_factory=dict)

    @classmethod
    def decode(cls, collection: str, text: str | None) -> CollectionIndex:
        """Parse the stored text (``None``: no index yet, an empty one)."""
        if text is None:
            return cls(collection)
        what = f"index of collection {collection!r}"
        decoded = _load(text, what)
        if decoded.get("collection") != collection:
            raise DeserializationError(f"The {what} names another collection")
        stored = decoded.get("keys")
        if type(stored) is not dict:
            raise DeserializationError(f"The {what} is damaged")
        keys: dict[str, KeyRecord] = {}
        for key, record in stored.items():
            if (
                type(record) is not list
                or len(record) != 2
                or not (record[0] is None or type(record[0]) in (int, float))
            ):
                raise DeserializationError(f"The {what} is damaged")
            keys[key] = (None if record[0] is None else float(record[0]), bool(record[1]))
        return cls(collection, keys)

    def encode(self) -> str:
        """The JSON text to store."""
        keys = {key: [expires_at, int(split)] for key, (expires_at, split) in self.keys.items()}
        return _dump({"version": INDEX_VERSION, "collection": self.collection, "keys": keys})

    def expired(self, now: float) -> list[str]:
        """Keys whose recorded expiry is at or before ``now`` (candidates to check)."""
        return [
            key
            for key, (expires_at, _) in self.keys.items()
            if expires_at is not None and expires_at <= now
        ]

    def live(self, now: float) -> list[str]:
        """Keys whose recorded expiry is later than ``now`` (or none), sorted."""
        return sorted(
            key
            for key, (expires_at, _) in self.keys.items()
            if expires_at is None or expires_at > now
        )
