"""py-key-value's layout of entries in a search engine: index names, ids, documents.

A collection's entries live in the index ``<prefix>-<collection>``, one
document per entry, its ``_id`` the key::

    {"collection": "users", "created_at": "2025-01-01T00:00:00+00:00",
     "expires_at": "2025-01-01T00:00:10+00:00", "key": "alice",
     "value": {"flattened": {"name": "Alice"}}, "version": 1}

(``value.flat`` on OpenSearch). Index names are lower-case only, so a
collection is encoded reversibly: lower-case letters, digits, ``_`` and ``-``
stay, every other character becomes ``.xx`` per UTF-8 byte (``A`` is
``.41``, so collections ``A`` and ``a`` never share an index). A collection
that py-key-value names the same way (lower-case letters, digits, ``_``,
``-``) has the same index in both libraries. Names too long for an index, and
keys too long for an ``_id`` (512 bytes), are hashed; the document keeps the
original names, which listings return.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kv.entry import DOCUMENT_VERSION, StoredEntry, entry_from_fields, format_timestamp
from kv.errors import DeserializationError
from kv.names import hashed_name

__all__ = [
    "ID_LIMIT",
    "INDEX_LIMIT",
    "VALUE_FIELDS",
    "collection_of_index",
    "document_id",
    "encode_collection",
    "entry_of",
    "index_body",
    "write_document",
]

INDEX_LIMIT = 255
"""Most bytes in an index name."""

ID_LIMIT = 512
"""Most bytes in a document ``_id``."""

VALUE_FIELDS = ("flattened", "flat")
"""The fields under ``value`` that hold a value: Elasticsearch's, then OpenSearch's."""

_UNSAFE = re.compile(r"[^a-z0-9_\-]+")
_ESCAPED = re.compile(r"(?:\.[0-9a-f]{2})+")
_DOTS = (".", "..")
_dump_name = json.JSONEncoder(ensure_ascii=True).encode


def _escape(match: re.Match[str]) -> str:
    return "".join(f".{byte:02x}" for byte in match.group().encode("utf-8"))


def encode_collection(prefix: str, collection: str) -> str:
    """The index of ``collection``: ``<prefix>-<encoded collection>``."""
    index = f"{prefix}-{_UNSAFE.sub(_escape, collection)}"
    if len(index) > INDEX_LIMIT:
        return f"{prefix}-{hashed_name(collection)}"
    return index


def collection_of_index(prefix: str, index: str) -> str | None:
    """The collection an index of this prefix stands for (``None``: hashed, or another
    store's)."""
    head, dash, encoded = index.partition("-")
    if head != prefix or not dash or encoded.startswith("~"):
        return None

    def unescape(match: re.Match[str]) -> str:
        return bytes(int(part, 16) for part in match.group().split(".")[1:]).decode("utf-8")

    return _ESCAPED.sub(unescape, encoded)


def document_id(key: str) -> str:
    """The ``_id`` of ``key``: the key itself (py-key-value's id); a key starting with
    ``~``, and the keys ``.`` and ``..`` (which a URL path cannot carry), with a
    ``~`` in front; a key over 512 bytes hashed (``~`` and hex)."""
    if key.startswith("~") or key in _DOTS:
        key = "~" + key
    if len(key) * 4 > ID_LIMIT and len(key.encode("utf-8")) > ID_LIMIT:
        return hashed_name(key)
    return key


def write_document(collection: str, key: str, entry: StoredEntry, value_field: str) -> str:
    """The JSON text of an entry's document (the value's JSON is spliced in, not re-encoded)."""
    parts = ['{"collection":', _dump_name(collection)]
    if entry.created_at is not None:
        parts.append(f',"created_at":"{format_timestamp(entry.created_at)}"')
    if entry.expires_at is not None:
        parts.append(f',"expires_at":"{format_timestamp(entry.expires_at)}"')
    parts += [',"key":', _dump_name(key), ',"value":{"', value_field, '":', entry.json()]
    parts.append(f'}},"version":{DOCUMENT_VERSION}}}')
    return "".join(parts)


def entry_of(source: object) -> StoredEntry:
    """The entry of a document's ``_source`` (either engine's value field).

    Raises:
        DeserializationError: the document is not an entry.
    """
    if not isinstance(source, dict):
        raise DeserializationError(f"Stored document is a {type(source).__name__}, not an object")
    value = source.get("value")
    if isinstance(value, dict) and len(value) == 1:
        for name in VALUE_FIELDS:
            if name in value:
                fields: dict[str, Any] = {"value": value[name]}
                for stamp in ("created_at", "expires_at"):
                    if source.get(stamp) is not None:
                        fields[stamp] = source[stamp]
                return entry_from_fields(fields)
    raise DeserializationError("Stored document has no 'value.flattened' or 'value.flat' object")


def index_body() -> str:
    """The settings and mapping of an index the store creates.

    The names and timestamps are indexed (listings, expiry); the value is
    kept in ``_source`` only (``enabled: false``), so values of any depth,
    size and shape are stored as they are. py-key-value's own indices map it
    as ``flattened`` / ``flat_object``; each library reads the other's indices.
    """
    return json.dumps(
        {
            "mappings": {
                "dynamic": False,
                "properties": {
                    "collection": {"type": "keyword"},
                    "key": {"type": "keyword"},
                    "created_at": {"type": "date"},
                    "expires_at": {"type": "date"},
                    "version": {"type": "integer"},
                    "value": {"type": "object", "enabled": False},
                },
            }
        }
    )
