"""File and folder names of entries: kv's own, and py-key-value's to read.

kv names a collection's folder and an entry's file with
:func:`kv.names.encode_path_segment` (letters, digits, ``_`` and ``-`` kept,
every other character escaped as ``.XX`` per UTF-8 byte, long names hashed):
``{root}/{encode(collection)}/{encode(key)}.json``. The document inside keeps
the original collection and key.

py-key-value's FileTreeStore wrote ``{root}/{collection}/{key}.json`` with its
names either as they are (its default) or through its V1 sanitization
strategies (``S_<name with runs of other characters as _>-<8 hex of SHA-256>``),
and its documents have no key or collection. For names of letters, digits,
``_`` and ``-`` both layouts agree, so such data is simply kv's. For other
names kv also looks at py-key-value's locations (:func:`locations`), and
takes a document without a key there as the entry.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import NamedTuple

from kv.names import decode_path_segment, encode_path_segment

__all__ = [
    "SUFFIX",
    "Location",
    "V1Limits",
    "collection_folders",
    "decoded",
    "locations",
    "raw_name_usable",
    "v1_name",
]

SUFFIX = ".json"

_ALLOWED_V1 = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class V1Limits(NamedTuple):
    """Longest V1 names py-key-value makes for this folder (from ``pathconf``)."""

    collection: int = 245
    key: int = 250


class Location(NamedTuple):
    """Where an entry may be: a folder and a file name under the root.

    Attributes:
        folder: The collection folder's name.
        file: The entry file's name (with ``.json``).
        primary: kv's own location (where kv writes).
        foreign: a location py-key-value writes, where a document without a
            key is taken as this entry.
    """

    folder: str
    file: str
    primary: bool
    foreign: bool


_PLAIN = re.compile(r"[A-Za-z0-9_\-]{1,200}")
"""A segment that :func:`~kv.names.encode_path_segment` leaves as it is."""


def decoded(segment: str) -> str | None:
    """The name kv encoded as ``segment`` (``None``: hashed or not kv's encoding)."""
    if _PLAIN.fullmatch(segment) is not None:
        return segment  # letters, digits, "_" and "-" only: its own encoding
    if segment.startswith("~"):
        return None
    try:
        name = decode_path_segment(segment)
    except (UnicodeDecodeError, ValueError):
        return None
    if name is None or encode_path_segment(name) != segment:
        return None
    return name


def raw_name_usable(name: str, limit: int = 250) -> bool:
    """Whether py-key-value's unsanitized ``name`` is one safe path component.

    Such a file may also be kv's own for another name (``a.2Eb.json`` is kv's
    file of ``a.b``): it is taken as foreign only when its document has no key.
    """
    if name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        return False
    return not name.startswith(".kv-") and len(name.encode("utf-8")) <= limit


def v1_name(name: str, max_length: int) -> str:
    """py-key-value's V1 FileTree sanitization of ``name`` (hybrid strategy).

    Runs of characters outside ``[A-Za-z0-9_]`` become one ``_``; a changed
    name becomes ``S_<sanitized, cut to fit>-<first 8 hex of SHA-256>``.
    """
    parts: list[str] = []
    replaced = False
    for char in name:
        if char in _ALLOWED_V1:
            parts.append(char)
            replaced = False
        elif not replaced:
            parts.append("_")
            replaced = True
    sanitized = "".join(parts)
    if len(sanitized) == 1 and replaced:
        sanitized = ""
    if sanitized != name:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        return f"S_{sanitized[: max_length - 11]}-{digest}"
    if len(sanitized) > max_length:
        return f"S_{sanitized[: max_length - 2]}"
    return sanitized


def collection_folders(collection: str, limits: V1Limits) -> list[tuple[str, bool]]:
    """Folders that may hold ``collection``: ``(name, is kv's own)``, kv's first."""
    own = encode_path_segment(collection)
    folders = [(own, True)]
    # The name as it is, unless that is kv's own folder of another collection.
    if collection != own and raw_name_usable(collection, 255) and decoded(collection) is None:
        folders.append((collection, False))
    v1 = v1_name(collection, limits.collection)
    if all(v1 != folder for folder, _ in folders):
        folders.append((v1, False))
    return folders


def locations(collection: str, key: str, limits: V1Limits) -> Iterator[Location]:
    """Every place the entry may be, kv's own first (the others computed on demand)."""
    own_folder = encode_path_segment(collection)
    own_file = encode_path_segment(key) + SUFFIX
    own_is_foreign = own_folder == collection and own_file == key + SUFFIX
    yield Location(own_folder, own_file, primary=True, foreign=own_is_foreign)
    seen = {(own_folder, own_file)}
    raw_folder = collection == own_folder or (
        raw_name_usable(collection, 255) and decoded(collection) is None
    )
    if raw_folder and (raw_name_usable(key) or key + SUFFIX == own_file):
        spot = (collection, key + SUFFIX)
        if spot not in seen:
            seen.add(spot)
            yield Location(*spot, primary=False, foreign=True)
    spot = (v1_name(collection, limits.collection), v1_name(key, limits.key) + SUFFIX)
    if spot not in seen:  # (it equals kv's own spot only when the names are plain)
        yield Location(*spot, primary=False, foreign=True)
