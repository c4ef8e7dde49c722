"""``ValueTransformWrapper``: the base of wrappers that change values on the way in and out.

A value-transform wrapper (compression, encryption, size limits, ...) writes
only how one value is transformed, as two hooks::

    def _encode_value(self, value, *, key, collection) -> Mapping | DROP
    def _decode_value(self, stored, *, key, collection) -> dict | None

:class:`ValueTransformWrapper` does everything that must be the same for each
of them, once:

* applies the hooks to ``get``/``ttl``/``put`` and to their bulk forms, with
  results in input order; ``delete`` and the optional capabilities pass
  through as in :class:`~kv_wrappers.base.BaseWrapper`;
* ``put_many`` encodes every value before anything is written, so a value
  that is refused leaves the store untouched;
* one error path: a kv error raised by a hook (``dump_value``'s
  ``SerializationError`` included) gets this wrapper's name, the collection
  (the wrapped store's default when ``None``) and the key filled in, and is
  raised with no chained exception (``from None``);
* a value the encoder returns :data:`DROP` for is not written, silently; the
  call still refuses a bad key, collection or TTL as the store would, and the
  other values of a ``put_many`` are written;
* a missing value (``None``) is never handed to the decoder; a value the
  decoder reads as ``None`` is missing, with no TTL (``ttl`` gives
  ``(None, None)``);
* a wrapper that overrides only one hook pays nothing on the other side: its
  reads (or writes) go straight to the wrapped store;
* the ``atomic`` operations pass through when the wrapped store has them:
  ``put_if_absent`` and ``put_if_version`` encode the value (and make one
  call of the wrapped store's own operation, so the condition is still the
  backend's), ``get_versioned`` decodes it, and the version is the wrapped
  store's, unchanged (it changes whenever the stored form is written). A
  conditional write of a value the encoder drops writes nothing and returns
  ``False``; a value the decoder reads as ``None`` makes ``get_versioned``
  return ``None``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final, Literal, NoReturn, SupportsFloat, TypeAlias

from kv._typecheck import typechecked
from kv.atomic import Versioned
from kv.errors import KeyValueError
from kv.names import validate_collection, validate_key
from kv.ttl import validate_ttl
from kv_wrappers._support import check_put_many_lengths, collection_name
from kv_wrappers.base import BaseWrapper, defined_by

__all__ = ["DROP", "Drop", "Encoded", "ValueTransformWrapper"]


class Drop(enum.Enum):
    """The type of :data:`DROP`."""

    DROP = "DROP"


DROP: Final = Drop.DROP
"""What ``_encode_value`` returns for a value that is not to be written."""

_READS = ("get", "ttl", "get_many", "ttl_many")
_WRITES = ("put", "put_many")

Encoded: TypeAlias = Mapping[str, Any] | Literal[Drop.DROP]
"""What ``_encode_value`` returns: the value to store, or :data:`DROP`."""


class ValueTransformWrapper(BaseWrapper):
    """A wrapper that transforms each value before writing and after reading.

    Subclasses override :meth:`_encode_value`, :meth:`_decode_value` or both;
    the defaults leave values unchanged.

    Args:
        key_value: The store (or wrapper) to wrap.
    """

    _encodes: ClassVar[bool] = False
    """Whether the class overrides ``_encode_value`` (else writes pass through)."""
    _decodes: ClassVar[bool] = False
    """Whether the class overrides ``_decode_value`` (else reads pass through)."""
    _hands_arguments_on = frozenset({"get", "ttl", "get_many", "ttl_many"})
    _envelope_field: str | None = None
    """A field only stored forms that need decoding have at their top level, if any.

    A stored value without it is read as it is, without calling
    ``_decode_value`` (the unchanged values of a compression wrapper, say).
    A class (or instance) whose decoder must see every value leaves it ``None``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._encodes = cls._encode_value is not ValueTransformWrapper._encode_value
        cls._decodes = cls._decode_value is not ValueTransformWrapper._decode_value

    @classmethod
    def _delegates(cls) -> frozenset[str]:
        """Also the reads of a class that does not decode, and the writes of one that
        does not encode: they pass on unchanged (unless a subclass overrides them)."""
        names = set(super()._delegates())
        untouched = (_READS if not cls._decodes else ()) + (_WRITES if not cls._encodes else ())
        names.update(name for name in untouched if defined_by(cls, name) is ValueTransformWrapper)
        return frozenset(names)

    # --- the hooks -------------------------------------------------------------------

    def _encode_value(
        self, value: Mapping[str, Any], *, key: str, collection: str | None
    ) -> Encoded:
        """The form of ``value`` to store under ``key``, or :data:`DROP` to skip it.

        Raise a kv error (without context: the caller fills it in) to refuse
        the value; nothing of a ``put_many`` is written then.
        """
        return value

    def _decode_value(
        self, stored: dict[str, Any], *, key: str, collection: str | None
    ) -> dict[str, Any] | None:
        """The value of ``key`` from its stored form (``None``: read as missing).

        Raise a kv error (without context: the caller fills it in) for a
        stored form that cannot be read.
        """
        return stored

    # --- the one error path ------------------------------------------------------------

    def _raise(self, error: KeyValueError, key: str | None, collection: str | None) -> NoReturn:
        """Raise a hook's ``error`` naming this wrapper, the collection and ``key``."""
        error.add_context(
            store=type(self).__name__,
            collection=collection_name(self.key_value, collection),
            key=key,
        )
        raise error from None

    def _decode_all(
        self, keys: Sequence[str], stored: Sequence[dict[str, Any] | None], collection: str | None
    ) -> list[dict[str, Any] | None]:
        values: list[dict[str, Any] | None] = []
        key: str | None = None
        field = self._envelope_field
        try:
            for key, value in zip(keys, stored):
                values.append(
                    value
                    if value is None or (field is not None and field not in value)
                    else self._decode_value(value, key=key, collection=collection)
                )
        except KeyValueError as error:
            self._raise(error, key, collection)
        return values

    # --- the protocol: the wrapped store's calls with the hooks around them -------------

    @typechecked
    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value of ``key``, decoded."""
        stored = await self.key_value.get(key, collection=collection)
        if stored is None or not self._decodes:
            return stored
        field = self._envelope_field
        if field is not None and field not in stored:
            return stored  # not an envelope: read as it is
        try:
            return self._decode_value(stored, key=key, collection=collection)
        except KeyValueError as error:
            self._raise(error, key, collection)

    @typechecked
    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining seconds)``, the value decoded."""
        result = await self.key_value.ttl(key, collection=collection)
        if not self._decodes:
            return result
        value, remaining = result
        field = self._envelope_field
        if value is not None and (field is None or field in value):
            try:
                value = self._decode_value(value, key=key, collection=collection)
            except KeyValueError as error:
                self._raise(error, key, collection)
        return (None, None) if value is None else (value, remaining)

    @typechecked
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        """Return the values of ``keys``, decoded, in order."""
        stored = await self.key_value.get_many(keys, collection=collection)
        if not self._decodes:
            return stored
        return self._decode_all(keys, stored, collection)

    @typechecked
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """Return ``(value, remaining seconds)`` for each key, values decoded, in order."""
        stored = await self.key_value.ttl_many(keys, collection=collection)
        if not self._decodes:
            return stored
        values = self._decode_all(keys, [value for value, _ in stored], collection)
        return [
            (None, None) if value is None else (value, remaining)
            for value, (_, remaining) in zip(values, stored)
        ]

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value`` encoded (not at all if the encoder drops it)."""
        if self._encodes:
            try:
                encoded = self._encode_value(value, key=key, collection=collection)
            except KeyValueError as error:
                self._raise(error, key, collection)
            if encoded is DROP:
                _check_call([key], collection, ttl)
                return
            value = encoded
        await self.key_value.put(key, value, collection=collection, ttl=ttl)

    @typechecked
    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store several values, each encoded; every value is encoded before any is written."""
        if not self._encodes:
            await self.key_value.put_many(keys, values, collection=collection, ttl=ttl)
            return
        check_put_many_lengths(keys, values)
        kept_keys: list[str] = []
        kept: list[Mapping[str, Any]] = []
        unchanged = True
        key: str | None = None
        encode = self._encode_value
        try:
            for key, value in zip(keys, values):
                encoded = encode(value, key=key, collection=collection)
                if encoded is not DROP:
                    kept_keys.append(key)
                    kept.append(encoded)
                    unchanged = unchanged and encoded is value
        except KeyValueError as error:
            self._raise(error, key, collection)
        if len(kept) < len(keys):
            _check_call(keys, collection, ttl)
            if kept:
                await self.key_value.put_many(kept_keys, kept, collection=collection, ttl=ttl)
            return
        await self.key_value.put_many(
            keys, values if unchanged else kept, collection=collection, ttl=ttl
        )

    # --- the atomic operations: encode, decode, the version unchanged ------------------

    def _encode_one(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> Mapping[str, Any] | None:
        """The stored form of ``value`` for a conditional write (``None``: dropped)."""
        if not self._encodes:
            return value
        try:
            encoded = self._encode_value(value, key=key, collection=collection)
        except KeyValueError as error:
            self._raise(error, key, collection)
        if encoded is DROP:
            _check_call([key], collection, ttl)
            return None
        return encoded

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        encoded = self._encode_one(key, value, collection, ttl)
        if encoded is None:
            return False
        return await self._atomic.put_if_absent(key, encoded, collection=collection, ttl=ttl)

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Versioned | None:
        found = await self._atomic.get_versioned(key, collection=collection)
        if found is None or not self._decodes:
            return found
        field = self._envelope_field
        if field is not None and field not in found.value:
            return found
        try:
            value = self._decode_value(found.value, key=key, collection=collection)
        except KeyValueError as error:
            self._raise(error, key, collection)
        return None if value is None else Versioned(value, found.ttl, found.version)

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        encoded = self._encode_one(key, value, collection, ttl)
        if encoded is None:
            return False
        return await self._atomic.put_if_version(
            key, encoded, version, collection=collection, ttl=ttl
        )


def _check_call(keys: Sequence[str], collection: str | None, ttl: SupportsFloat | None) -> None:
    """Refuse what the store would have refused, for a write that was dropped."""
    for key in keys:
        validate_key(key)
    if collection is not None:
        validate_collection(collection)
    validate_ttl(ttl)
