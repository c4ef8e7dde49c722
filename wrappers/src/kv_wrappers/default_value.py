"""``DefaultValueWrapper``: a default value instead of ``None`` for missing keys.

Reads of a missing (or expired) key return a fresh copy of the default, with
``default_ttl`` as its remaining time; the default is never written to the
store. The wrapper declares the ``returns_defaults`` capability.

It does not offer the ``atomic`` capability, even over a store that has it: a
default is a value nobody wrote, so it has no version, and the conditional
writes would disagree with the reads (``put_if_absent`` writing over a key
that ``get`` answers, ``kv.atomic.update`` handing ``None`` where ``get``
gives the default). Wrap the atomic store itself, or put the default in the
``update`` function (``old or DEFAULT``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, SupportsFloat

import kv
from kv._typecheck import typechecked
from kv.capabilities import OPTIONAL_OPERATIONS, Capabilities
from kv.errors import (
    InvalidOptionError,
    InvalidTTLError,
    SerializationError,
)
from kv.ttl import validate_ttl
from kv.values import dump_value, load_value
from kv_wrappers.base import BaseWrapper

__all__ = ["DefaultValueWrapper"]


class DefaultValueWrapper(BaseWrapper):
    """Return ``default_value`` for keys that are not in the wrapped store.

    Args:
        key_value: The store to wrap.
        default_value: The value a miss reads as: a mapping of strict JSON
            (checked now; each read returns a new copy, so callers may change
            what they get).
        default_ttl: The remaining time ``ttl()`` and ``ttl_many()`` report
            with the default (``None``, the default: no expiry).

    Raises:
        InvalidOptionError: ``default_value`` is not strict JSON, or
            ``default_ttl`` breaks the TTL rule.

    Writes, deletes and enumeration pass through: ``delete`` of a missing key
    still returns ``False``, and ``keys()`` lists only stored keys. The
    ``atomic`` capability is not offered (see the module's documentation).
    """

    passes_through: ClassVar[frozenset[str]] = frozenset(OPTIONAL_OPERATIONS) - {"atomic"}
    """Every optional capability but ``atomic``: defaults have no version."""

    def __init__(
        self,
        key_value: kv.AsyncKeyValue,
        default_value: Mapping[str, Any],
        default_ttl: SupportsFloat | None = None,
    ) -> None:
        try:
            self._default_json = dump_value(default_value)
        except SerializationError as error:
            raise InvalidOptionError(f"default_value is invalid: {error.message}") from None
        try:
            self.default_ttl = validate_ttl(default_ttl)
        except InvalidTTLError as error:
            raise InvalidOptionError(f"default_ttl is invalid: {error.message}") from None
        super().__init__(key_value)

    _hands_arguments_on = frozenset({"get", "ttl", "get_many", "ttl_many"})

    @property
    def default_value(self) -> dict[str, Any]:
        """A new copy of the default value."""
        return load_value(self._default_json)

    def _adjust_capabilities(self, capabilities: Capabilities) -> Capabilities:
        return replace(capabilities, returns_defaults=True)

    def _or_default(self, value: dict[str, Any] | None) -> dict[str, Any]:
        return load_value(self._default_json) if value is None else value

    def _ttl_or_default(
        self, result: tuple[dict[str, Any] | None, float | None]
    ) -> tuple[dict[str, Any] | None, float | None]:
        value, remaining = result
        if value is None:
            return load_value(self._default_json), self.default_ttl
        return value, remaining

    @typechecked
    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value of ``key``, or a copy of the default."""
        value = await self.key_value.get(key, collection=collection)
        return load_value(self._default_json) if value is None else value

    @typechecked
    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining)``, or ``(default, default_ttl)`` for a miss."""
        result = await self.key_value.ttl(key, collection=collection)
        if result[0] is None:
            return load_value(self._default_json), self.default_ttl
        return result

    @typechecked
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        """Return the values of ``keys``, a copy of the default for each miss."""
        values = await self.key_value.get_many(keys, collection=collection)
        return [self._or_default(value) for value in values]

    @typechecked
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """Return ``(value, remaining)`` per key, ``(default, default_ttl)`` for misses."""
        results = await self.key_value.ttl_many(keys, collection=collection)
        return [self._ttl_or_default(result) for result in results]
