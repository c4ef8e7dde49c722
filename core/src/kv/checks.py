"""Validation checks shared by store options: paths, SQL identifiers, durations.

Use them as the ``check`` of an option (see :func:`kv.options.option`)::

    class DuckDBOptions(CommonOptions):
        path: str = option(check=checks.local_path)
        table: str = option(default="kv_entries", check=checks.sql_identifier)
        lock_timeout: float = option(default=5.0, check=checks.seconds)

Each returns the value to keep (normalised: a path becomes ``str``, a
number of seconds ``float``) or raises :class:`ValueError` with a message
that starts with "must": the options class puts the option's name in front
("table must be a letter or '_' ...").
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

__all__ = [
    "absolute_path",
    "at_least",
    "keyword_only",
    "local_path",
    "optional",
    "port_numbers",
    "positive_int",
    "positive_seconds",
    "seconds",
    "sql_identifier",
]

_SQL_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def local_path(value: object) -> str:
    """A non-empty file or directory path (``str`` or ``os.PathLike[str]``), as ``str``."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(f"must be a str or os.PathLike[str], not {type(value).__name__}")
    if not value:
        raise ValueError("must not be empty")
    return value


def absolute_path(value: object) -> str:
    """A :func:`local_path` without NUL, made absolute (against the working directory
    of the moment the options are built)."""
    path = local_path(value)
    if "\x00" in path:
        raise ValueError("must not contain NUL")
    return os.path.abspath(path)


def sql_identifier(value: object) -> str:
    """A table or index name safe to quote into SQL: a letter or ``_``, then up to
    62 letters, digits or ``_`` (PostgreSQL's limit, the strictest of the engines)."""
    if not isinstance(value, str) or _SQL_IDENTIFIER.fullmatch(value) is None:
        shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
        raise ValueError(
            f"must be a letter or '_' followed by at most 62 letters, digits or '_', not {shown}"
        )
    return value


def seconds(value: object) -> float:
    """A finite number of seconds ``>= 0`` (a lock timeout, say), as ``float``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"must be a number of seconds, not {type(value).__name__}")
    number = float(value)
    if not (number >= 0 and math.isfinite(number)):
        raise ValueError(f"must be a finite number of seconds >= 0, not {value!r}")
    return number


def positive_seconds(value: object) -> float | None:
    """``None`` (no limit) or a finite number of seconds ``> 0``, as ``float``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"must be a number of seconds, not {type(value).__name__}")
    number = float(value)
    if not (number > 0 and math.isfinite(number)):
        raise ValueError(f"must be a finite number of seconds > 0, not {value!r}")
    return number


def positive_int(value: object) -> int:
    """An ``int`` of at least 1 (not a ``bool``)."""
    if type(value) is not int or value < 1:
        raise ValueError(f"must be an int >= 1, not {value!r}")
    return value


def at_least(minimum: int) -> Callable[[object], int]:
    """A check of an ``int`` (not a ``bool``) of at least ``minimum``.

    For example ``option(default=1, check=at_least(0))``.
    """

    def int_at_least(value: object) -> int:
        if type(value) is not int or value < minimum:
            raise ValueError(f"must be an int >= {minimum}, not {value!r}")
        return value

    return int_at_least


def port_numbers(value: object) -> tuple[int, ...]:
    """Port numbers from 1 to 65535, as a ``tuple`` (one ``int`` is a tuple of one)."""
    ports = (value,) if isinstance(value, int) else value
    if not isinstance(ports, tuple) or any(type(p) is not int or not 0 < p < 65536 for p in ports):
        raise ValueError(f"must be port numbers from 1 to 65535, not {value!r}")
    return ports


def keyword_only(value: object) -> object:
    """An object that only a keyword argument can pass (a client, a pool): not text
    from a URL query."""
    if isinstance(value, str):
        raise TypeError("must be an object passed as a keyword argument, not text from a URL")
    return value


def optional(check: Callable[[object], T]) -> Callable[[object], T | None]:
    """``check``, letting ``None`` through.

    For example ``option(default=None, check=optional(sql_identifier))``.
    """

    def check_unless_none(value: object) -> T | None:
        return None if value is None else check(value)

    return check_unless_none
