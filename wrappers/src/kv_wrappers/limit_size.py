"""``LimitSizeWrapper``: refuse (or drop) values that are too small or too large.

The size of a value is the length in bytes of its compact JSON text (kv's
canonical form, pure ASCII), the same measure as a store's
``max_value_size``. Limits are inclusive: a value of exactly ``max_size``
bytes is written. Reads are never filtered.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import kv
from kv.capabilities import Capabilities
from kv.errors import EntryTooLargeError, EntryTooSmallError, InvalidOptionError
from kv.values import dump_value
from kv_wrappers._size import surely_shorter
from kv_wrappers.transform import DROP, Encoded, ValueTransformWrapper

__all__ = ["LimitSizeWrapper"]


def _check_limit(name: str, limit: object) -> int | None:
    if limit is None:
        return None
    if type(limit) is not int or limit < 0:
        raise InvalidOptionError(f"{name} must be None or an int >= 0, not {limit!r}")
    return limit


class LimitSizeWrapper(ValueTransformWrapper):
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
        # Values surely shorter than this many bytes are within max_size.
        self._below = sys.maxsize if self.max_size is None else self.max_size + 1
        super().__init__(key_value)

    def _adjust_capabilities(self, capabilities: Capabilities) -> Capabilities:
        if self.max_size is None or not self.raise_on_too_large:
            return capabilities
        inner = capabilities.max_value_size
        limit = self.max_size if inner is None else min(inner, self.max_size)
        return replace(capabilities, max_value_size=limit)

    def _encode_value(
        self, value: Mapping[str, Any], *, key: str, collection: str | None
    ) -> Encoded:
        """``value`` itself if its size is within the limits, else ``DROP`` or an error."""
        if self.min_size is None and surely_shorter(value, self._below):
            return value  # the usual small value, passed on without encoding it here
        size = len(dump_value(value))
        if self.min_size is not None and size < self.min_size:
            if not self.raise_on_too_small:
                return DROP
            raise _refusal(EntryTooSmallError, size, "at least", self.min_size, "are required")
        if self.max_size is not None and size > self.max_size:
            if not self.raise_on_too_large:
                return DROP
            raise _refusal(EntryTooLargeError, size, "at most", self.max_size, "are allowed")
        return value


def _refusal(
    error: type[EntryTooLargeError | EntryTooSmallError],
    size: int,
    bound: str,
    limit: int,
    rule: str,
) -> EntryTooLargeError | EntryTooSmallError:
    return error(
        f"The value is {size} bytes of JSON; {bound} {limit} {rule}", size=size, limit=limit
    )
