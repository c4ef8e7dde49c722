"""What a secret holds, and the check-and-set steps of the conditional writes.

An entry is the secret's data ``{"value": DOCUMENT}``, where ``DOCUMENT`` is
kv's (and py-key-value's) JSON document of the entry as text: each library
reads the other's. A deleted entry is not removed: :data:`TOMBSTONE` is
written over it with check-and-set, so the secret's version numbers go on
counting (a version read before the delete never matches again) and exactly
one of two racing deletes wins. Data without ``value`` (a tombstone, a
deleted or destroyed version, a secret another program wrote) is no entry.

Everything here is pure: the functions get Vault's answers (or calls that
make them) as arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kv.entry import (
    StoredEntry,
    decode_document,
    document_is_live,
    encode_document,
    parse_document,
)
from kv.errors import ConflictError, DeserializationError, StoreError

__all__ = [
    "ATTEMPTS",
    "TOMBSTONE",
    "Secret",
    "delete_live",
    "document_names",
    "entry_of",
    "names_from_list",
    "parse_token",
    "put_if_absent",
    "secret_data",
    "secret_from_missing",
    "secret_from_response",
    "state_of",
]

TOMBSTONE: Mapping[str, Any] = {"kv_deleted": True}
"""The data written over a deleted entry."""

ATTEMPTS = 100
"""Check-and-set attempts of one conditional write before it gives up (each
failed attempt means another writer changed the secret in between)."""

State = Literal["absent", "live", "expired"]


@dataclass(frozen=True, slots=True)
class Secret:
    """The latest version of a secret.

    Attributes:
        version: Its version number (1 for the first write; check-and-set
            compares it).
        data: Its data, ``None`` if that version was deleted or destroyed.
    """

    version: int
    data: Mapping[str, Any] | None


def secret_from_response(response: object) -> Secret:
    """The secret in hvac's answer to ``read_secret_version`` (a 200 reply, or the
    404 reply of a deleted version that ``raise_on_deleted_version=False`` returns).

    Raises:
        StoreError: the answer has no version number.
        DeserializationError: the secret's data is not an object.
    """
    try:
        body = response["data"]  # type: ignore[index]
        metadata = body["metadata"]
        version = metadata["version"]
    except (TypeError, KeyError, IndexError):
        raise StoreError("Vault answered a read without data.metadata.version") from None
    if type(version) is not int or version < 1:
        raise StoreError(f"Vault answered a read with the version {version!r}")
    data = body.get("data")
    if data is not None and not isinstance(data, Mapping):
        raise DeserializationError(
            f"Stored secret's data is a {type(data).__name__}, not an object"
        )
    if metadata.get("deletion_time") or metadata.get("destroyed"):
        data = None
    return Secret(version, data)


def secret_from_missing(reply: object) -> Secret | None:
    """The secret in the body of Vault's 404 reply to a read: a latest version that
    was deleted or destroyed (its metadata tells the version), else ``None`` (no
    secret at all)."""
    try:
        version = reply["data"]["metadata"]["version"]  # type: ignore[index]
    except (TypeError, KeyError, IndexError):
        return None
    if type(version) is not int or version < 1:
        return None
    return Secret(version, None)


def names_from_list(response: object) -> list[str]:
    """The names in hvac's answer to ``list_secrets`` (folders end with ``/``).

    Raises:
        StoreError: the answer has no list of names.
    """
    try:
        names = response["data"]["keys"]  # type: ignore[index]
    except (TypeError, KeyError, IndexError):
        raise StoreError("Vault answered a list without data.keys") from None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise StoreError("Vault answered a list whose data.keys is not a list of names")
    return names


def secret_data(entry: StoredEntry, *, collection: str, key: str) -> dict[str, str]:
    """The data of the secret that holds ``entry``: py-key-value's ``{"value": DOCUMENT}``."""
    return {"value": encode_document(entry, collection=collection, key=key)}


def _document_text(secret: Secret) -> str | None:
    data = secret.data
    if data is None or "value" not in data:
        return None
    text = data["value"]
    if not isinstance(text, str):
        raise DeserializationError(
            f"Stored secret's 'value' is a {type(text).__name__}, not JSON text"
        )
    return text


def entry_of(secret: Secret | None) -> StoredEntry | None:
    """The entry a secret holds (expired or not); ``None`` if it holds none.

    Raises:
        DeserializationError: the secret's ``value`` is not an entry's document.
    """
    if secret is None:
        return None
    text = _document_text(secret)
    return None if text is None else decode_document(text)


def state_of(secret: Secret | None, now: float) -> State:
    """Whether a secret holds an entry live at ``now``, an expired one, or none.

    A damaged entry counts as live: a read reports the damage, and a
    conditional write does not take its place unseen.
    """
    if secret is None:
        return "absent"
    try:
        text = _document_text(secret)
        if text is None:
            return "absent"
        document = parse_document(text)
    except DeserializationError:
        return "live"
    return "live" if document_is_live(document, now) else "expired"


def document_names(secret: Secret) -> tuple[str, str] | None:
    """The collection and key a secret's document names, if it names both."""
    try:
        text = _document_text(secret)
        document = None if text is None else parse_document(text)
    except DeserializationError:
        return None
    if document is None:
        return None
    collection, key = document.get("collection"), document.get("key")
    if isinstance(collection, str) and isinstance(key, str):
        return collection, key
    return None


def parse_token(token: str) -> int | None:
    """The version number a token names (a secret's first version is 1); ``None``
    for text that names none."""
    if not token.isascii() or not token.isdigit() or len(token) > 18:
        return None
    version = int(token)
    return version if version >= 1 else None


def put_if_absent(
    read: Callable[[], Secret | None], write: Callable[[int], bool], now: float
) -> bool:
    """Write unless a live entry exists: read the secret, then write with check-and-set
    on the version read (0: only if there is no secret at all); once more if another
    writer came in between. Returns whether it wrote.

    ``read()`` returns the latest version (``None``: no secret); ``write(cas)``
    writes on condition of ``cas`` and returns ``False`` if Vault refused it.

    Raises:
        ConflictError: every attempt met another writer.
    """
    for _ in range(ATTEMPTS):
        secret = read()
        if state_of(secret, now) == "live":
            return False
        if write(0 if secret is None else secret.version):
            return True
    raise ConflictError(f"put_if_absent gave up after {ATTEMPTS} check-and-set conflicts")


def delete_live(
    read: Callable[[], Secret | None], write_tombstone: Callable[[int], bool], now: float
) -> bool:
    """Delete a live entry: write :data:`TOMBSTONE` with check-and-set on the version
    read; once more if another writer came in between. Returns whether a live
    entry was deleted (of racing deletes, exactly one says so).

    Raises:
        ConflictError: every attempt met another writer.
    """
    for _ in range(ATTEMPTS):
        secret = read()
        if secret is None or state_of(secret, now) != "live":
            return False
        if write_tombstone(secret.version):
            return True
    raise ConflictError(f"delete gave up after {ATTEMPTS} check-and-set conflicts")
