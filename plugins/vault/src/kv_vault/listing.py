"""What a listing of the store's folder says: which secrets are entries, which of
them are live, which collections they make, and which ``cull()`` removes.

Vault lists names only; whether an entry is live (not deleted, not expired)
takes a read of each secret. These functions get the listed names and the
secrets read, and decide; :class:`~kv_vault.store.VaultStore` makes the
requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kv_vault.names import SecretName, encode_collection, parse_secret_name
from kv_vault.secrets import Secret, document_names, state_of

__all__ = ["Read", "by_collection", "cull_choice", "entries_listed", "live_names"]

Read = Sequence[tuple[SecretName, Secret | None]]
"""Listed secrets with what a read of each found (``None``: gone since the listing)."""


def entries_listed(names: Iterable[str], collection: str | None = None) -> list[SecretName]:
    """The listed names that are kv entries (of ``collection``, if given), in order."""
    part = None if collection is None else encode_collection(collection)
    listed = []
    for name in names:
        parsed = parse_secret_name(name)
        if parsed is not None and (part is None or parsed.collection_part == part):
            listed.append(parsed)
    return listed


def live_names(read: Read, now: float) -> list[tuple[str, str]]:
    """The ``(collection, key)`` of each entry live at ``now``; a hashed name is
    taken from the entry's document."""
    names = []
    for name, secret in read:
        if secret is None or state_of(secret, now) != "live":
            continue
        if name.collection is not None and name.key is not None:
            names.append((name.collection, name.key))
        else:
            stored = document_names(secret)
            if stored is not None:
                names.append(stored)
    return names


def by_collection(listed: Iterable[SecretName]) -> list[list[SecretName]]:
    """The listed entries grouped by collection (one group per collection part), in
    the order each collection first appears."""
    groups: dict[str, list[SecretName]] = {}
    for name in listed:
        groups.setdefault(name.collection_part, []).append(name)
    return list(groups.values())


def cull_choice(read: Read, now: float, room: int | None) -> tuple[list[SecretName], int]:
    """The secrets ``cull()`` deletes among those read, and how many of them were
    expired entries: at most ``room`` of those (``None``: all), plus every
    tombstone or deleted version, which is no entry and not counted."""
    doomed = []
    expired = 0
    for name, secret in read:
        state = state_of(secret, now)
        if state == "expired" and (room is None or expired < room):
            expired += 1
            doomed.append(name)
        elif state == "absent" and secret is not None:
            doomed.append(name)
    return doomed, expired
