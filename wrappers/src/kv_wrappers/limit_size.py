"""``LimitSizeWrapper``: refuse (or drop) values that are too small or too large.

The size of a value is the length in bytes of its compact JSON text (kv's
canonical form, pure ASCII), the same measure as a store's
``max_value_size``. Limits are inclusive: a value of exactly ``max_size``
bytes is written. Reads are never filtered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, SupportsFloat

import kv
from kv._typecheck import typechecked
from kv.capabilities import Capabilities
from kv.errors import EntryTooLargeError, EntryTooSmallError, InvalidOptionError, KeyValueError
from kv.names import validate_collection, validate_key
from kv.ttl import validate_ttl
from kv_wrappers._support import (
    check_put_many_lengths,
    collection_name,
    dump_with_context,
    with_context,
)
from kv_wrappers.base import BaseWrapper

__all__ = ["LimitSizeWrapper"]


def _check_limit(name: str, limit: object) -> int | None:
    if limit is None:
        return None
    if type(limit) is not int or limit < 0:
        raise InvalidOptionError(f"{name} must be None or an int >= 0, not {limit!r}")
    return limit


class LimitSizeWrapper(BaseWrapper):
    """Only write values whose JSON size is within ``[min_size, max_size]`` bytes.

    Args:
        key_value: The store to wrap.
        min_size: Smallest size written, in bytes (``None``: no minimum).
        max_size: Largest size written, in bytes (``None``: no maximum).
        raise_on_too_small: ``True``: a smaller value raises
            :class:`kv.errors.EntryTooSmallError`. ``False`` (default): it is
            silently not written (the earlier value of the key, if any, stays).
        raise_on_too_large: ``True`` (default): a larger value raises
            :class:`kv.EntryTooLargeError`. ``False``: it is silently not
            written.

    ``put_many`` checks every value first: if one raises, nothing is written;
    values dropped silently are left out and the others written. With
    ``raise_on_too_large``, the wrapper declares ``max_size`` as its
    ``max_value_size`` (or the wrapped store's, if smaller).
    """

    def __init__(
        self,
        key_value: kv.AsyncKeyValue,
        *,
        min_size: int | None = None,
        max_size: int | None = None,
        raise_on_too_small: bool = False,
        raise_on_too_large: bool = True,
    ) -> None:
        self.min_size = _check_limit("min_size", min_size)
        self.max_size = _check_limit("max_size", max_size)
        if (
            self.min_size is not None
            and self.max_size is not None
            and self.min_size > self.max_size
        ):
            raise InvalidOptionError(
                f"min_size ({self.min_size}) must not exceed max_size ({self.max_size})"
            )
        self.raise_on_too_small = bool(raise_on_too_small)
        self.raise_on_too_large = bool(raise_on_too_large)
        super().__init__(key_value)

    def _adjust_capabilities(self, capabilities: Capabilities) -> Capabilities:
        if self.max_size is None or not self.raise_on_too_large:
            return capabilities
        inner = capabilities.max_value_size
        limit = self.max_size if inner is None else min(inner, self.max_size)
        return replace(capabilities, max_value_size=limit)

    def _fits(self, value: Mapping[str, Any], collection: str | None, key: str) -> bool:
        """Whether ``value`` is within the limits; raises if told to."""
        size = len(dump_with_context(value, wrapper=self, collection=collection, key=key))
        error: KeyValueError | None = None
        if self.min_size is not None and size < self.min_size:
            if not self.raise_on_too_small:
                return False
            error = EntryTooSmallError(
                f"The value is {size} bytes of JSON; at least {self.min_size} are required",
                size=size,
                limit=self.min_size,
            )
        elif self.max_size is not None and size > self.max_size:
            if not self.raise_on_too_large:
                return False
            error = EntryTooLargeError(
                f"The value is {size} bytes of JSON; at most {self.max_size} are allowed",
                size=size,
                limit=self.max_size,
            )
        if error is not None:
            raise with_context(
                error,
                store=type(self).__name__,
                collection=collection_name(self.key_value, collection),
                key=key,
            )
        return True

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value`` if its size is within the limits."""
        if self._fits(value, collection, key):
            await self.key_value.put(key, value, collection=collection, ttl=ttl)
            return
        # Dropped: still refuse what the store would have refused.
        validate_key(key)
        if collection is not None:
            validate_collection(collection)
        validate_ttl(ttl)

    @typechecked
    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store the values whose size is within the limits; check all first."""
        check_put_many_lengths(keys, values)
        kept = [
            index
            for index, (key, value) in enumerate(zip(keys, values))
            if self._fits(value, collection, key)
        ]
        if len(kept) == len(keys):
            await self.key_value.put_many(keys, values, collection=collection, ttl=ttl)
            return
        for key in keys:
            validate_key(key)
        if collection is not None:
            validate_collection(collection)
        validate_ttl(ttl)
        if kept:
            await self.key_value.put_many(
                [keys[i] for i in kept], [values[i] for i in kept], collection=collection, ttl=ttl
            )
