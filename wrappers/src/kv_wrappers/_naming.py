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

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal, NoReturn, SupportsFloat, TypeVar, cast
from urllib.parse import unquote

import kv
from kv._typecheck import typechecked
from kv.atomic import Versioned
from kv.errors import InvalidKeyError, InvalidOptionError, KeyValueError
from kv.names import validate_collection, validate_key
from kv_wrappers._support import check_keys_argument
from kv_wrappers.base import BaseWrapper, _iter_keys_of

__all__ = [
    "SEPARATOR",
    "RenamingWrapper",
    "check_collection_option",
    "check_prefix",
    "check_separator",
    "delete_headed",
    "escape_head",
    "map_keys",
    "renamed_names",
    "split_joined",
    "strip_head",
]

T = TypeVar("T")

SEPARATOR = "__"
"""py-key-value's separator between a prefix or collection and the rest."""

DELETE_CHUNK = 1000
"""How many keys :func:`delete_headed` deletes in one ``delete_many``."""


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


async def renamed_names(
    walk: AsyncGenerator[str, None], rename: Callable[[str], str | None]
) -> AsyncGenerator[str, None]:
    """The names of ``walk`` as ``rename`` gives them, skipping those it gives ``None``.

    ``walk`` is closed however the caller stops.
    """
    async with contextlib.aclosing(walk) as names:
        async for name in names:
            renamed = rename(name)
            if renamed is not None:
                yield renamed


async def delete_headed(store: object, collection: str | None, head: str) -> int:
    """Delete the keys of ``collection`` in ``store`` that are ``head`` plus more.

    The keys are listed first, then deleted ``delete_many`` by ``delete_many``
    (:data:`DELETE_CHUNK` keys each). Returns how many existed.
    """
    async with contextlib.aclosing(_iter_keys_of(store, collection, None)) as walk:
        doomed = [physical async for physical in walk if strip_head(head, physical) is not None]
    deleter = cast(kv.AsyncKeyValue, store)
    deleted = 0
    for start in range(0, len(doomed), DELETE_CHUNK):
        chunk = doomed[start : start + DELETE_CHUNK]
        deleted += await deleter.delete_many(chunk, collection=collection)
    return deleted


def check_prefix(prefix: object) -> str:
    """A prefix is a non-empty str that encodes as UTF-8."""
    if not isinstance(prefix, str):
        raise InvalidOptionError(f"prefix must be a str, not {type(prefix).__name__}")
    return check_collection_option(prefix, "prefix")


def check_collection_option(name: str, option: str) -> str:
    """``name`` if it is a valid collection name, else an error naming ``option``."""
    try:
        return validate_collection(name)
    except InvalidKeyError as error:
        raise InvalidOptionError(f"{option} is invalid: {error.message}") from None


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


def map_keys(keys: Sequence[str], rename: Callable[[str], str]) -> list[str]:
    """Validate ``keys`` and rename each one (refusing a single ``str`` as keys)."""
    check_keys_argument(keys)
    return [rename(validate_key(key)) for key in keys]


class RenamingWrapper(BaseWrapper):
    """A wrapper that stores keys or collections under other names in the wrapped store.

    Each operation renames its key(s) and collection with the hooks below,
    calls the wrapped store, and gives a :class:`~kv.errors.KeyValueError` back
    the caller's names (:meth:`_reraise`). By default nothing is renamed.
    """

    renamed: ClassVar[Literal["key", "collection"] | None] = None
    """Which name of an error :meth:`_reraise` gives back (``None``: neither)."""

    def _key(self, key: str, collection: str | None) -> str:
        """The stored name of ``key`` of the caller's ``collection``."""
        return key

    def _keys(self, keys: Sequence[str], collection: str | None) -> Sequence[str]:
        """The stored names of ``keys`` of the caller's ``collection``, in order."""
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

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        """Return ``call()`` (a call to the wrapped store), its errors naming the caller's names."""
        try:
            return await call()
        except KeyValueError as error:
            self._reraise(error)

    # --- the protocol ----------------------------------------------------------------

    @typechecked
    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value of ``key``, stored under its renamed name."""
        physical, where = self._key(key, collection), self._collection(collection)
        try:
            return await self.key_value.get(physical, collection=where)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining seconds)`` of ``key``, stored under its renamed name."""
        physical, where = self._key(key, collection), self._collection(collection)
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
        physical, where = self._key(key, collection), self._collection(collection)
        try:
            await self.key_value.put(physical, value, collection=where, ttl=ttl)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Delete ``key``, stored under its renamed name."""
        physical, where = self._key(key, collection), self._collection(collection)
        try:
            return await self.key_value.delete(physical, collection=where)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        """Return the values of ``keys``, in order."""
        physical, where = self._keys(keys, collection), self._collection(collection)
        try:
            return await self.key_value.get_many(physical, collection=where)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """Return ``(value, remaining seconds)`` for each of ``keys``, in order."""
        physical, where = self._keys(keys, collection), self._collection(collection)
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
        physical, where = self._keys(keys, collection), self._collection(collection)
        try:
            await self.key_value.put_many(physical, values, collection=where, ttl=ttl)
        except KeyValueError as error:
            self._reraise(error)

    @typechecked
    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys``; return how many existed."""
        physical, where = self._keys(keys, collection), self._collection(collection)
        try:
            return await self.key_value.delete_many(physical, collection=where)
        except KeyValueError as error:
            self._reraise(error)

    # --- atomic operations: the same renaming, one call of the wrapped store each ---------

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        physical, where = self._key(key, collection), self._collection(collection)
        atomic = self._atomic
        return await self._call(
            lambda: atomic.put_if_absent(physical, value, collection=where, ttl=ttl)
        )

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Versioned | None:
        physical, where = self._key(key, collection), self._collection(collection)
        atomic = self._atomic
        return await self._call(lambda: atomic.get_versioned(physical, collection=where))

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        physical, where = self._key(key, collection), self._collection(collection)
        atomic = self._atomic
        return await self._call(
            lambda: atomic.put_if_version(physical, value, version, collection=where, ttl=ttl)
        )

    async def _pass_delete_if_version(self, key: str, version: str, collection: str | None) -> bool:
        physical, where = self._key(key, collection), self._collection(collection)
        atomic = self._atomic
        return await self._call(
            lambda: atomic.delete_if_version(physical, version, collection=where)
        )
