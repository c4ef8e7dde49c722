"""Which server holds a key: rendezvous (highest random weight) hashing.

Every server gets a score for the key, a 64-bit BLAKE2b hash of the key keyed
by the server's name (``host:port`` as written in the URL); the key goes to
the highest score. The choice depends only on the key and the set of server
names, never on their order or on the process, so every client configured with
the same servers agrees, and adding or removing a server moves only the keys
that it gains or loses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Generic, TypeVar

__all__ = ["Ring"]

T = TypeVar("T")


def _seed(name: str) -> bytes:
    return hashlib.sha256(name.encode("utf-8")).digest()[:32]


class Ring(Generic[T]):
    """Spreads keys over ``members`` named ``names`` (names must be distinct)."""

    def __init__(self, members: Sequence[T], names: Sequence[str]) -> None:
        if not members or len(members) != len(names):
            raise ValueError("a ring needs one name per member and at least one member")
        if len(set(names)) != len(names):
            raise ValueError("ring members must have distinct names")
        self.members: tuple[T, ...] = tuple(members)
        self._seeds = tuple(_seed(name) for name in names)

    def pick(self, key: bytes) -> T:
        """The member that holds ``key``."""
        members = self.members
        if len(members) == 1:
            return members[0]
        best = 0
        best_score = -1
        for index, seed in enumerate(self._seeds):
            score = int.from_bytes(hashlib.blake2b(key, digest_size=8, key=seed).digest(), "big")
            if score > best_score:
                best, best_score = index, score
        return members[best]

    def split(self, keys: Sequence[bytes]) -> dict[T, list[bytes]]:
        """Group ``keys`` by member, keeping their order within each group."""
        if len(self.members) == 1:
            return {self.members[0]: list(keys)}
        groups: dict[T, list[bytes]] = {}
        for key in keys:
            groups.setdefault(self.pick(key), []).append(key)
        return groups
