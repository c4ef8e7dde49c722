"""The TTL rule.

A TTL is ``None`` (the entry never expires) or a finite number of seconds
greater than zero: ``int``, ``float``, ``Decimal``, ``Fraction`` or anything
else with ``__float__`` (numpy numbers, for instance). Fractions of a second
are honoured.

``bool`` (``True`` would silently mean one second), zero, negative numbers,
NaN, infinities, numbers longer than :data:`MAX_TTL_SECONDS` (however large:
``10**400`` too), numbers whose ``__float__`` fails and non-numbers raise
:class:`~kv.errors.InvalidTTLError`, never anything else.
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

_TOO_LONG = (
    f"A TTL must be at most {MAX_TTL_SECONDS:.0f} seconds (100 years), got {{}};"
    " pass None for no expiry"
)
_NOT_POSITIVE = "A TTL must be greater than 0 seconds, got {}; pass None for no expiry"


def _as_seconds(ttl: object) -> float:
    """``float(ttl)``, with every failure (overflow included) an :class:`InvalidTTLError`.

    The messages name the type only: an odd number's own error text is not
    repeated.
    """
    if type(ttl) is int:
        # float() overflows beyond ~1.8e308: compare the int itself.
        if ttl > MAX_TTL_SECONDS:
            raise InvalidTTLError(_TOO_LONG.format("a larger int"), ttl=ttl)
        if ttl < -MAX_TTL_SECONDS:
            raise InvalidTTLError(_NOT_POSITIVE.format("a large negative int"), ttl=ttl)
        return float(ttl)
    try:
        seconds = float(ttl)  # type: ignore[arg-type]
    except OverflowError:
        raise InvalidTTLError(
            f"A TTL must be a number of seconds from 0 to {MAX_TTL_SECONDS:.0f} (100 years);"
            f" this {type(ttl).__name__} is beyond the range of a float",
            ttl=ttl,
        ) from None
    except Exception as error:  # a numpy-like __float__ may raise anything
        raise InvalidTTLError(
            f"A TTL must be a number of seconds: converting a {type(ttl).__name__} to float"
            f" raised {type(error).__name__}",
            ttl=ttl,
        ) from None
    return seconds


def validate_ttl(ttl: SupportsFloat | None) -> float | None:
    """Return ``ttl`` as float seconds, or ``None`` for "never expires".

    Raises:
        InvalidTTLError: ``ttl`` breaks the TTL rule.
    """
    if ttl is None:
        return None
    ttl_type = type(ttl)
    if ttl_type is float:
        seconds: float = ttl  # type: ignore[assignment]
    elif ttl_type is bool:
        raise InvalidTTLError("A TTL must be a number of seconds, not a bool", ttl=ttl)
    elif ttl_type is not int and (isinstance(ttl, (str, bytes)) or not hasattr(ttl, "__float__")):
        raise InvalidTTLError(
            f"A TTL must be a number of seconds, not {ttl_type.__name__}", ttl=ttl
        )
    else:
        seconds = _as_seconds(ttl)
    if math.isnan(seconds):
        raise InvalidTTLError("A TTL cannot be NaN", ttl=ttl)
    if seconds <= 0:
        raise InvalidTTLError(_NOT_POSITIVE.format(repr(seconds)), ttl=ttl)
    if seconds > MAX_TTL_SECONDS:
        raise InvalidTTLError(_TOO_LONG.format(repr(seconds)), ttl=ttl)
    return seconds
