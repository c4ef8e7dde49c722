"""``TTLClampWrapper``: keep every written TTL between a minimum and a maximum.

::

    from kv_wrappers import TTLClampWrapper

    cache = TTLClampWrapper(kv.connect("memory://"), min_ttl=1, max_ttl=3600, missing_ttl=600)
    await cache.put("k", {"v": 1}, ttl=86400)  # stored with a TTL of 3600 s
    await cache.put("k", {"v": 1})  # no TTL given: 600 s

Only writes change: a TTL is first checked by the TTL rule (zero, negative,
NaN, ``bool``... still raise :class:`~kv.errors.InvalidTTLError`), then
clamped to ``[min_ttl, max_ttl]``. ``ttl=None`` becomes ``missing_ttl``
(``None`` by default: such entries never expire). ``missing_ttl`` itself is
clamped into the range, so no entry written through the wrapper outlives
``max_ttl`` unless ``missing_ttl`` is ``None``.

The ``atomic`` operations pass through when the wrapped store has them, the
TTL of ``put_if_absent`` and ``put_if_version`` clamped the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, SupportsFloat

import kv
from kv._typecheck import typechecked
from kv.errors import InvalidOptionError, InvalidTTLError
from kv.ttl import MAX_TTL_SECONDS, validate_ttl
from kv_wrappers.base import BaseWrapper

__all__ = ["TTLClampWrapper"]


def _seconds(value: SupportsFloat, what: str) -> float:
    if isinstance(value, (bool, str, bytes)):
        raise InvalidOptionError(f"{what} must be a number of seconds, not {value!r}")
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidOptionError(f"{what} must be a number of seconds, not {value!r}") from None
    if math.isnan(seconds) or seconds < 0 or seconds > MAX_TTL_SECONDS:
        raise InvalidOptionError(
            f"{what} must be between 0 and {MAX_TTL_SECONDS:.0f} seconds, not {value!r}"
        )
    return seconds


class TTLClampWrapper(BaseWrapper):
    """Clamp the TTL of every write to ``[min_ttl, max_ttl]``.

    Args:
        key_value: The store to wrap.
        min_ttl: Shortest TTL written, in seconds (``>= 0``).
        max_ttl: Longest TTL written, in seconds (``> 0`` and ``>= min_ttl``).
        missing_ttl: TTL written when a call passes ``ttl=None``; ``None``
            (default) keeps such entries without expiry.

    Raises:
        InvalidOptionError: A limit is not a number of seconds, or
            ``min_ttl > max_ttl``.
    """

    def __init__(
        self,
        key_value: kv.AsyncKeyValue,
        min_ttl: SupportsFloat,
        max_ttl: SupportsFloat,
        missing_ttl: SupportsFloat | None = None,
    ) -> None:
        self.min_ttl = _seconds(min_ttl, "min_ttl")
        self.max_ttl = _seconds(max_ttl, "max_ttl")
        if self.max_ttl <= 0:
            raise InvalidOptionError(f"max_ttl must be greater than 0, not {max_ttl!r}")
        if self.min_ttl > self.max_ttl:
            raise InvalidOptionError(
                f"min_ttl ({self.min_ttl}) must not be greater than max_ttl ({self.max_ttl})"
            )
        self.missing_ttl: float | None = None
        if missing_ttl is not None:
            try:
                seconds = validate_ttl(missing_ttl)
            except InvalidTTLError as error:
                raise InvalidOptionError(f"missing_ttl is invalid: {error.message}") from None
            self.missing_ttl = None if seconds is None else self._clamp(seconds)
        super().__init__(key_value)

    _shown = ("min_ttl", "max_ttl", "missing_ttl")

    def _clamp(self, seconds: float) -> float:
        return max(self.min_ttl, min(seconds, self.max_ttl))

    def _ttl(
        self, ttl: SupportsFloat | None, collection: str | None, key: str | None
    ) -> float | None:
        if ttl is None:
            return self.missing_ttl
        if (
            (type(ttl) is int or type(ttl) is float)
            and 0 < ttl <= self.max_ttl
            and ttl >= self.min_ttl
        ):
            return ttl  # a plain number the rule takes and the clamp keeps, as it is
        try:
            seconds = validate_ttl(ttl)
        except InvalidTTLError as error:
            error.add_context(collection=collection, key=key)
            raise
        return None if seconds is None else self._clamp(seconds)

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value`` with the clamped TTL."""
        seconds = self._ttl(ttl, collection, key)
        await self.key_value.put(key, value, collection=collection, ttl=seconds)

    @typechecked
    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store several values with the clamped TTL."""
        seconds = self._ttl(ttl, collection, None)
        await self.key_value.put_many(keys, values, collection=collection, ttl=seconds)

    # --- atomic: the conditional writes' TTL clamped too --------------------------------

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        seconds = self._ttl(ttl, collection, key)
        return await self._atomic.put_if_absent(key, value, collection=collection, ttl=seconds)

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        seconds = self._ttl(ttl, collection, key)
        return await self._atomic.put_if_version(
            key, value, version, collection=collection, ttl=seconds
        )
