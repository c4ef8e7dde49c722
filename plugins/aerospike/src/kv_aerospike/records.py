"""How an entry is laid out in an Aerospike record, both ways, without a server.

py-key-value's layout: the record's key is ``(namespace, set, "collection::key")``
and its bin ``value`` holds the entry's JSON document (``kv.entry``'s
format, which names the collection and key and carries the write and expiry
times); the record's TTL is the server's own expiry. kv adds three bins that
py-key-value ignores:

* ``collection``: the collection's name, as UTF-8 bytes, so a listing filters
  records on the server;
* ``created``: the write time (epoch seconds, a float), the part of a version
  that tells two lives of one record apart;
* ``expires``: the expiry (epoch seconds), absent when the entry never
  expires, so listings, deletes and ``cull()`` see the exact expiry on the
  server.

The key is sent and stored with the record (``POLICY_KEY_SEND``), so a listing
reads the names back. Keys are :func:`kv.names.compound_key` strings; the
client cuts a ``str`` at its first NUL, so a name with NUL in it is stored
under the compound key's UTF-8 bytes instead (a ``bytearray`` key, whose
digest differs from every string key's). Records py-key-value wrote have only
``value``: they read, list and count like kv's own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import aerospike

from kv.entry import StoredEntry, decode_document, encode_document, parse_document
from kv.errors import DeserializationError
from kv.names import compound_key, split_compound_key

__all__ = [
    "COLLECTION_BIN",
    "CREATED_BIN",
    "EXPIRES_BIN",
    "MAX_RECORD_TTL",
    "NEVER_EXPIRE",
    "VALUE_BIN",
    "Found",
    "Version",
    "collection_blob",
    "entry_of_bins",
    "found_of_record",
    "info_values",
    "named_by_documents",
    "names_of_document",
    "parse_token",
    "record_bins",
    "record_key",
    "record_ttl",
    "setup_problem",
    "token_of",
    "user_key",
]

VALUE_BIN = "value"
"""The bin holding the entry's JSON document (py-key-value's bin)."""

COLLECTION_BIN = "collection"
"""The bin holding the collection's name as UTF-8 bytes (kv's records only)."""

CREATED_BIN = "created"
"""The bin holding the write time, epoch seconds (kv's records only)."""

EXPIRES_BIN = "expires"
"""The bin holding the expiry, epoch seconds (kv's records with a TTL only)."""

NEVER_EXPIRE: int = aerospike.TTL_NEVER_EXPIRE
"""The record TTL of an entry that never expires."""

MAX_RECORD_TTL = 315_360_000
"""The longest record TTL a server takes by default (``max-ttl``, 10 years):
an entry that lives longer is kept without a record TTL and hidden by its
``expires`` bin when its time comes."""

AerospikeKey = tuple[Any, ...]
"""A key tuple: ``(namespace, set, user key)``, or with its digest as a fourth part."""


def user_key(collection: str, key: str) -> str | bytearray:
    """The user key of an entry: py-key-value's ``collection::key`` string, or its
    UTF-8 bytes when a name holds NUL (which the client would cut a string at)."""
    compound = compound_key(collection, key)
    if "\x00" in compound:
        return bytearray(compound.encode("utf-8"))
    return compound


def record_key(namespace: str, set_name: str, collection: str, key: str) -> AerospikeKey:
    """The key tuple of an entry's record."""
    return (namespace, set_name, user_key(collection, key))


def collection_blob(collection: str) -> bytes:
    """The ``collection`` bin's value, and what filters compare it with: bytes (a
    blob; a string would be cut at NUL by the client)."""
    return collection.encode("utf-8")


def record_ttl(seconds: float | None) -> int:
    """The record TTL (whole seconds) of an entry written with a TTL of ``seconds``.

    The server counts whole seconds and may expire a record up to a second
    early, so the record lives one second more than the TTL rounded up: it is
    never gone before the entry's ``expires_at``, after which kv hides it.
    Entries without a TTL, or with one beyond the server's ``max-ttl``, never
    expire on the server (:data:`NEVER_EXPIRE`).
    """
    if seconds is None:
        return NEVER_EXPIRE
    whole = math.ceil(seconds) + 1
    return NEVER_EXPIRE if whole > MAX_RECORD_TTL else whole


def record_bins(collection: str, key: str, entry: StoredEntry, null: object) -> dict[str, Any]:
    """The bins of an entry's record. ``null`` (``aerospike.null()``) removes the
    ``expires`` bin of an entry that never expires."""
    assert entry.created_at is not None  # the base sets it
    return {
        VALUE_BIN: encode_document(entry, collection=collection, key=key),
        COLLECTION_BIN: collection_blob(collection),
        CREATED_BIN: entry.created_at,
        EXPIRES_BIN: null if entry.expires_at is None else entry.expires_at,
    }


def entry_of_bins(bins: Mapping[str, Any], key: str) -> StoredEntry:
    """The entry a record's bins hold (kv's or py-key-value's).

    Raises:
        DeserializationError: the ``value`` bin is missing, not text, or not
            an entry's document (the message names ``key``, never the content).
    """
    document = bins.get(VALUE_BIN)
    if not isinstance(document, str):
        shown = "missing" if document is None else f"a {type(document).__name__}"
        raise DeserializationError(f"The record's 'value' bin is {shown}, not JSON text", key=key)
    try:
        return decode_document(document)
    except DeserializationError as error:
        error.add_context(key=key)
        raise


class Version(NamedTuple):
    """What a version names: a record's generation and the entry's write time
    (``None`` for a record py-key-value wrote, which has no ``created`` bin)."""

    generation: int
    created: float | None


def token_of(meta: Mapping[str, Any], bins: Mapping[str, Any]) -> str:
    """The token of a record read with its metadata: its generation and the
    entry's write time (the store's versions add the expiry: see
    :class:`kv.store.TokenVersionMixin`).

    The generation alone restarts at 1 when a record is deleted and written
    again; the write time tells those lives apart.
    """
    created = bins.get(CREATED_BIN)
    return f"{int(meta['gen'])}:{repr(created) if isinstance(created, float) else ''}"


def parse_token(token: str) -> Version | None:
    """The generation and write time of a token :func:`token_of` made; ``None``
    for a token of another form (it matches nothing)."""
    generation, separator, created = token.partition(":")
    if not separator or not generation.isdigit():
        return None
    try:
        return Version(int(generation), float(created) if created else None)
    except ValueError:
        return None


def names_of_document(document: object) -> tuple[str, str] | None:
    """The collection and key a py-key-value record's document names (``None``
    when it is damaged or names none)."""
    if not isinstance(document, str):
        return None
    try:
        fields = parse_document(document)
    except DeserializationError:
        return None
    collection, key = fields.get("collection"), fields.get("key")
    if isinstance(collection, str) and isinstance(key, str):
        return collection, key
    return None


def _names_of_user_key(stored: object) -> tuple[str, str] | None:
    """The collection and key of a stored user key (``None``: none stored, or not
    one of kv's)."""
    if isinstance(stored, bytes | bytearray):
        try:
            stored = bytes(stored).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(stored, str):
        return None
    try:
        return split_compound_key(stored)
    except ValueError:
        return None


class Found(NamedTuple):
    """A record a listing found: its key tuple (by digest) and the names it
    stands for (``None`` until known: a py-key-value record without a stored
    key is named by its document, read afterwards)."""

    key: AerospikeKey
    names: tuple[str, str] | None


def found_of_record(record: tuple[Any, ...]) -> Found:
    """What a query's record ``(key, meta, bins)`` names.

    kv's records carry their key (sent on write); a py-key-value record has a
    stored key only if its writer sent one, else its names come from its
    document (when the listing read the ``value`` bin).
    """
    key, _meta, bins = record
    names = _names_of_user_key(key[2] if len(key) > 2 else None)
    if names is None and bins:
        names = names_of_document(bins.get(VALUE_BIN))
    if len(key) > 3 and key[3] is not None:
        key = (key[0], key[1], None, key[3])  # later calls address it by its digest
    return Found(tuple(key), names)


def named_by_documents(found: Sequence[Found], documents: Sequence[object]) -> list[Found]:
    """``found``, each record without names named by the next of ``documents``
    (the ``value`` bins read for them, in order; ``None`` for a record gone)."""
    remaining = iter(documents)
    return [
        item
        if item.names is not None
        else Found(item.key, names_of_document(next(remaining, None)))
        for item in found
    ]


def info_values(response: str) -> list[str]:
    """The values of an info command's answer: ``"test;bar\\n"`` (or with the
    command echoed before a tab, ``"namespaces\\ttest;bar\\n"``) gives ``["test", "bar"]``."""
    text = response.rpartition("\t")[2].strip()
    return [value for value in text.split(";") if value]


def setup_problem(namespace: str, set_name: str, namespaces: str, sets: str | None) -> str | None:
    """What keeps a store from opening, from the answers of the info commands
    ``namespaces`` and (without ``auto_create``) ``sets/NAMESPACE/SET``; ``None``
    when nothing does."""
    if namespace not in info_values(namespaces):
        return (
            f"The namespace {namespace!r} is not configured on the Aerospike server"
            " (namespaces are set in aerospike.conf)"
        )
    if sets is not None and "objects=" not in sets:
        return (
            f"The set {set_name!r} does not exist in the namespace {namespace!r}"
            " and auto_create is off (a set exists once a record is written to it)"
        )
    return None
