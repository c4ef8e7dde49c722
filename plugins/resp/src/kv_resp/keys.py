"""Where a RESP store keeps its entries in the server's flat keyspace.

Every entry is one string key holding the entry's JSON document
(:func:`kv.entry.encode_document`). The key is :func:`kv.names.compound_key`,
``collection::key`` (the collection escaped so that its first ``::`` is the
separator), which is py-key-value's Redis and Valkey layout: data either
library wrote is readable by the other.

A store may be given a *namespace*. Its keys then start with the namespace,
escaped like a collection (``%`` to ``%25``, ``:`` to ``%3A``), and one ``:``::

    users::alice                 no namespace (py-key-value's layout)
    myapp:users::alice           namespace "myapp"

An escaped name never contains ``:``, so the two forms cannot be confused:
in a key without a namespace the text before the first ``::`` has no ``:``;
in a namespaced key it has exactly one, right after the namespace. A store
therefore *owns* exactly the string keys that parse in its own form, and
``destroy()`` deletes only those: never ``FLUSHDB``.
"""

from __future__ import annotations

import re
from typing import Any

from kv.errors import InvalidOptionError, KeyValueError
from kv.names import (
    COMPOUND_SEPARATOR,
    compound_key,
    compound_prefix,
    split_compound_key,
    validate_collection,
)

__all__ = ["RespKeyLayout", "escape_glob"]

_GLOB_SPECIAL = re.compile(r"([\\*?\[\]])")


def escape_glob(text: str) -> str:
    """Escape ``text`` for a Redis glob (``SCAN MATCH``): ``\\ * ? [ ]`` get a backslash."""
    return _GLOB_SPECIAL.sub(r"\\\1", text)


def _as_text(raw: bytes | str) -> str | None:
    if isinstance(raw, str):
        return raw
    try:
        return bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None  # never a kv name: kv names are valid UTF-8


class RespKeyLayout:
    """The key names of one store: building them, matching them, parsing them back.

    Args:
        namespace: Optional namespace; ``None`` for py-key-value's layout.

    Raises:
        InvalidOptionError: ``namespace`` is empty or not valid UTF-8 text.
    """

    __slots__ = ("namespace", "owned_pattern", "prefix")

    def __init__(self, namespace: str | None = None) -> None:
        if namespace is None:
            prefix = ""
        else:
            try:
                namespace = validate_collection(namespace)
            except KeyValueError as error:
                raise InvalidOptionError(f"namespace is invalid: {error.message}") from None
            prefix = compound_prefix(namespace)[: -len(COMPOUND_SEPARATOR)] + ":"
        self.namespace: str | None = namespace
        self.prefix: str = prefix
        """Text every key of this store starts with (``""`` without a namespace)."""
        self.owned_pattern: str = escape_glob(prefix) + "*::*"
        """``SCAN MATCH`` pattern covering every key this store may own (filter with
        :meth:`split`: the pattern also matches keys of other forms)."""

    def __repr__(self) -> str:
        return f"RespKeyLayout(namespace={self.namespace!r})"

    def key(self, collection: str, key: str) -> str:
        """The server key of ``key`` in ``collection``."""
        return self.prefix + compound_key(collection, key)

    def collection_prefix(self, collection: str) -> str:
        """Text every server key of ``collection`` starts with."""
        return self.prefix + compound_prefix(collection)

    def collection_pattern(self, collection: str) -> str:
        """``SCAN MATCH`` pattern of exactly the keys of ``collection``."""
        return escape_glob(self.collection_prefix(collection)) + "*"

    def key_in_collection(self, raw: bytes | str, prefix_bytes: int) -> str | None:
        """The kv key of a server key matched by :meth:`collection_pattern`.

        ``prefix_bytes`` is the UTF-8 length of :meth:`collection_prefix`.
        ``None`` for a name that is not UTF-8 (not a kv key).
        """
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogatepass")
        try:
            key = bytes(raw[prefix_bytes:]).decode("utf-8")
        except UnicodeDecodeError:
            return None
        return key or None

    def keys_in_collection(self, batch: list[Any], prefix_bytes: int) -> list[str]:
        """The kv keys of a ``SCAN`` batch matched by :meth:`collection_pattern`, in order.

        One list comprehension for the usual batch (bytes names, all UTF-8, none
        empty); any other batch goes name by name through
        :meth:`key_in_collection`, which skips what is not a kv key.
        """
        try:
            keys = [bytes(raw[prefix_bytes:]).decode("utf-8") for raw in batch]
        except (TypeError, UnicodeDecodeError):  # str names (a user's client), or not UTF-8
            keys = []
        else:
            if all(keys):
                return keys
        found = []
        for raw in batch:
            key = self.key_in_collection(raw, prefix_bytes)
            if key is not None:
                found.append(key)
        return found

    def split(self, raw: bytes | str) -> tuple[str, str] | None:
        """``(collection, key)`` of a server key this store owns, else ``None``."""
        text = _as_text(raw)
        if text is None or not text.startswith(self.prefix):
            return None
        rest = text[len(self.prefix) :]
        head, separator, key = rest.partition(COMPOUND_SEPARATOR)
        if not separator or not head or not key or ":" in head:
            return None
        return split_compound_key(rest)
