"""Runtime type checks of the public protocol methods, with beartype.

Checks are on by default and cost a few hundred nanoseconds a call. Set the
environment variable ``KV_TYPECHECK=0`` (or ``false``/``no``/``off``) before
importing kv to turn them off completely: the methods are then the plain
functions, with no wrapper at all.

beartype takes a noticeable time to import, so it is imported and applied the
first time a checked method is looked up, not when kv is imported. ``import
kv`` and ``kv.connect()`` stay fast; the first call pays once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["TYPECHECK_ENV", "typecheck_enabled", "typechecked"]

TYPECHECK_ENV = "KV_TYPECHECK"
"""Name of the environment variable that switches runtime type checks."""

_FALSE_WORDS = frozenset({"0", "false", "no", "off"})

F = TypeVar("F", bound=Callable[..., Any])


def typecheck_enabled() -> bool:
    """Whether runtime type checks are on (read from the environment once)."""
    return _ENABLED


_ENABLED = os.environ.get(TYPECHECK_ENV, "1").strip().lower() not in _FALSE_WORDS


def _check(func: F) -> F:
    from beartype import BeartypeConf, BeartypeStrategy, beartype

    from kv.errors import ArgumentTypeError

    conf = BeartypeConf(
        strategy=BeartypeStrategy.O1, is_pep484_tower=True, violation_type=ArgumentTypeError
    )
    return beartype(conf=conf)(func)


class _LazilyChecked(Generic[F]):
    """Descriptor that swaps in the beartype-checked function on first lookup."""

    def __init__(self, func: F) -> None:
        self.func = func
        self.__doc__ = func.__doc__
        self.__wrapped__ = func
        self.name = func.__name__

    def __set_name__(self, owner: type[object], name: str) -> None:
        self.name = name

    def _install(self, owner: type[object]) -> F:
        checked = _check(self.func)
        # Replace the descriptor in the class that defined it, so later lookups
        # are ordinary method lookups with no indirection.
        for klass in owner.__mro__:
            if klass.__dict__.get(self.name) is self:
                setattr(klass, self.name, checked)
                break
        return checked

    @overload
    def __get__(self, instance: None, owner: type[object]) -> F: ...
    @overload
    def __get__(self, instance: object, owner: type[object]) -> F: ...
    def __get__(self, instance: object | None, owner: type[object]) -> F:
        checked = self._install(owner)
        if instance is None:
            return checked
        bound: F = checked.__get__(instance, owner)
        return bound


def typechecked(func: F) -> F:
    """Check the arguments of a public method at run time (unless disabled).

    Only annotations are checked; the kv rules (JSON values, key and TTL
    rules) are enforced by the store whether or not this is on, raising kv
    errors. A violation raises :class:`kv.errors.ArgumentTypeError`, a
    :class:`TypeError`.
    """
    if not _ENABLED:
        return func
    lazy: F = _LazilyChecked(func)  # type: ignore[assignment]
    return lazy
