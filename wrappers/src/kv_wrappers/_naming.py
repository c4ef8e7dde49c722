"""Unambiguous name joining for the wrappers that rename keys or collections.

A prefix wrapper stores collection ``c`` as ``f"{prefix}__{c}"``, and the
single-collection wrapper stores key ``k`` of collection ``c`` as
``f"{c}__{k}"``: py-key-value's layouts. Joined naively, two different pairs
can share a name (``("a__b", "c")`` and ``("a", "b__c")`` both give
``"a__b__c"``). Here the head is escaped when needed so that the joined name
always splits at the *first* separator: a head that contains ``%``, or in
which the separator would be found before its end, has ``%`` and every
separator character percent-encoded (UTF-8 bytes, ``%XX``). Other heads, the
usual case, are kept as they are, so names stay py-key-value's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal, NoReturn, SupportsFloat
from urllib.parse import unquote

from kv._typecheck import typechecked
from kv.errors import InvalidKeyError, InvalidOptionError, KeyValueError
from kv.names import (
    DEFAULT_COLLECTION,
    declared_default_collection,
    validate_collection,
    validate_key,
)
from kv_wrappers.base import BaseWrapper

__all__ = [
    "SEPARATOR",
    "RenamingWrapper",
    "check_prefix",
    "check_separator",
    "default_collection_of",
    "escape_head",
    "map_keys",
    "split_joined",
    "strip_head",
]

SEPARATOR = "__"
"""py-key-value's separator between a prefix or collection and the rest."""


def _percent(character: str) -> str:
    return "".join(f"%{byte:02X}" for byte in character.encode("utf-8"))


def escape_head(head: str, separator: str = SEPARATOR) -> str:
    """``head`` escaped so that ``head + separator + rest`` splits at the first separator.

    Heads without ``%`` in which ``separator`` is not found before the end
    (``"my_app"`` for ``"__"``) are returned unchanged.
    """
    if "%" not in head and (head + separator).find(separator) == len(head):
        return head
    special = set(separator) | {"%"}
    return "".join(_percent(ch) if ch in special else ch for ch in head)


def unescape_head(escaped: str, separator: str = SEPARATOR) -> str | None:
    """Invert :func:`escape_head`; ``None`` if ``escaped`` is not one of its results."""
    if "%" not in escaped:
        return escaped
    try:
        head = unquote(escaped, errors="strict")
    except UnicodeDecodeError:
        return None
    return head if escape_head(head, separator) == escaped else None


def split_joined(joined: str, separator: str = SEPARATOR) -> tuple[str, str] | None:
    """Split ``escape_head(head) + separator + tail``; ``None`` for foreign names."""
    escaped, found, tail = joined.partition(separator)
    if not found or not tail:
        return None
    head = unescape_head(escaped, separator)
    if not head:
        return None
    return head, tail


def strip_head(head: str, physical: str) -> str | None:
    """``physical`` without ``head``; ``None`` if it does not start with it (or is only it)."""
    if physical.startswith(head) and len(physical) > len(head):
        return physical[len(head) :]
    return None


def check_prefix(prefix: object) -> str:
    """A prefix is a non-empty str that encodes as UTF-8."""
    if not isinstance(prefix, str):
        raise InvalidOptionError(f"prefix must be a str, not {type(prefix).__name__}")
    try:
        return validate_collection(prefix)
    except InvalidKeyError as error:
        raise InvalidOptionError(f"prefix is invalid: {error.message}") from None


def check_separator(separator: object) -> str:
    """A separator is a non-empty str without ``%`` (which escaping uses)."""
    if not isinstance(separator, str) or not separator:
        raise InvalidOptionError(f"separator must be a non-empty str, not {separator!r}")
    if "%" in separator:
        raise InvalidOptionError("separator must not contain '%' (it marks escaped characters)")
    try:
        separator.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidOptionError("separator must encode as UTF-8") from None
    return separator


def default_collection_of(store: object) -> str:
    """The collection ``store`` uses for ``collection=None``.

    Read from the store's ``default_collection`` attribute; wrappers without
    one are looked through (their ``key_value``). Falls back to
    ``"default_collection"``, every kv store's default.
    """
    return declared_default_collection(store) or DEFAULT_COLLECTION


def map_keys(keys: Sequence[str], rename: Callable[[str], str]) -> list[str]:
    """Validate ``keys`` and rename each one (refusing a single ``str`` as keys)."""
    if isinstance(keys, (str, bytes)):
        raise TypeError("keys must be a sequence of str, not a single str")
    return [rename(validate_key(key)) for key in keys]


class RenamingWrapper(BaseWrapper):
    """A wrapper that stores keys or collections under other names in the wrapped store.

    Each operation renames its key(s) and collection with the hooks below,
    calls the wrapped store, and gives a :class:`~kv.errors.KeyValueError` back
    the caller's names (:meth:`_reraise`). By default nothing is renamed.
    """

    renamed: ClassVar[Literal["key", "collection"] | None] = None
    """Which name of an error :meth:`_reraise` gives back (``None``: neither)."""

    def _key(self, key: str) -> str:
        """The stored name of ``key``."""
        return key

    def _keys(self, keys: Sequence[str]) -> Sequence[str]:
        """The stored names of ``keys``, in order."""
        return keys

    def _collection(self, collection: str | None) -> str | None:
        """The stored name of ``collection``."""
        return collection

    def _logical(self, physical: str) -> str | None:
        """The caller's name for a renamed ``physical`` one (``None``: not renamed here)."""
        return None

    def _reraise(self, error: KeyValueError) -> NoReturn:
        """Raise ``error`` naming the caller's key or collection.

        The error's ``renamed`` attribute (``"key"`` or ``"collection"``), when
        it holds a name :meth:`_logical` recognises, gets the caller's name back.
        """
        if self.renamed is not None:
            physical = getattr(error, self.renamed)
            if physical is not None:
                logical = self._logical(physical)
                if logical is not None:
                    setattr(error, self.renamed, logical)
        raise error

    # --- the protocol ----------------------------------------------------------------

    @typechecked
    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value of ``key``, stored under its renamed name."""
        physical, where = self._key(key), self._collection(collection)
        try:
            return await self.key_value.get(physical, collection=where)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining seconds)`` of ``key``, stored under its renamed name."""
        physical, where = self._key(key), self._collection(collection)
        try:
            return await self.key_value.ttl(physical, collection=where)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value`` for ``key`` under the renamed names."""
        physical, where = self._key(key), self._collection(collection)
        try:
            await self.key_value.put(physical, value, collection=where, ttl=ttl)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Delete ``key``, stored under its renamed name."""
        physical, where = self._key(key), self._collection(collection)
        try:
            return await self.key_value.delete(physical, collection=where)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        """Return the values of ``keys``, in order."""
        physical, where = self._keys(keys), self._collection(collection)
        try:
            return await self.key_value.get_many(physical, collection=where)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """Return ``(value, remaining seconds)`` for each of ``keys``, in order."""
        physical, where = self._keys(keys), self._collection(collection)
        try:
            return await self.key_value.ttl_many(physical, collection=where)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store several values under the renamed names."""
        physical, where = self._keys(keys), self._collection(collection)
        try:
            await self.key_value.put_many(physical, values, collection=where, ttl=ttl)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys``; return how many existed."""
        physical, where = self._keys(keys), self._collection(collection)
        try:
            return await self.key_value.delete_many(physical, collection=where)
        except KeyValueError as error:
            self._reraise(error)
