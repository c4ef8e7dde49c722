"""The TTL rule.

A TTL is ``None`` (the entry never expires) or a finite number of seconds
greater than zero: ``int``, ``float``, ``Decimal``, ``Fraction`` or anything
else with ``__float__``. Fractions of a second are honoured.

``bool`` (``True`` would silently mean one second), zero, negative numbers,
NaN, infinities, numbers too large to represent as a point in time, and
non-numbers raise :class:`~kv.errors.InvalidTTLError`.
"""

from __future__ import annotations

import math
from typing import SupportsFloat

from kv.errors import InvalidTTLError

__all__ = ["MAX_TTL_SECONDS", "validate_ttl"]

MAX_TTL_SECONDS = 100 * 365.25 * 24 * 3600.0
"""The longest TTL accepted: one hundred years, in seconds.

Longer TTLs cannot be represented by every backend (or by ``datetime``); a
caller who wants "forever" passes ``None``.
"""


def validate_ttl(ttl: SupportsFloat | None) -> float | None:
    """Return ``ttl`` as float seconds, or ``None`` for "never expires".

    Raises:
        InvalidTTLError: ``ttl`` breaks the TTL rule.
    """
    if ttl is None:
        return None
    ttl_type = type(ttl)
    if ttl_type is float or ttl_type is int:
        seconds = float(ttl)
    elif ttl_type is bool:
        raise InvalidTTLError("A TTL must be a number of seconds, not a bool", ttl=ttl)
    elif isinstance(ttl, (str, bytes)) or not hasattr(ttl, "__float__"):
        raise InvalidTTLError(
            f"A TTL must be a number of seconds, not {ttl_type.__name__}", ttl=ttl
        )
    else:
        try:
            seconds = float(ttl)
        except (TypeError, ValueError, OverflowError) as error:
            raise InvalidTTLError(f"A TTL must be a number of seconds: {error}", ttl=ttl) from None
    if math.isnan(seconds):
        raise InvalidTTLError("A TTL cannot be NaN", ttl=ttl)
    if seconds <= 0:
        raise InvalidTTLError(
            f"A TTL must be greater than 0 seconds, got {seconds!r}; pass None for no expiry",
            ttl=ttl,
        )
    if seconds > MAX_TTL_SECONDS:
        raise InvalidTTLError(
            f"A TTL must be at most {MAX_TTL_SECONDS:.0f} seconds (100 years), got {seconds!r};"
            " pass None for no expiry",
            ttl=ttl,
        )
    return seconds
