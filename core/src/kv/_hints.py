"""Small runtime checks compiled once from type hints, for :mod:`kv._typecheck`.

:func:`compile_hint` turns one resolved hint into a :class:`HintCheck`: a set
of exact types that fit without looking further, and a function that finds
what does not fit. It understands the forms the public protocol and its
wrappers use, and a few more:

* a class (``str``, ``int``; ``float`` also takes an ``int`` and ``complex``
  an ``int`` or ``float``, as type checkers do), including a runtime-checkable
  protocol such as ``SupportsFloat``;
* ``None``, unions (``str | None``, ``Optional``), ``Literal``, ``Annotated``,
  ``NewType`` and a bound or constrained ``TypeVar``;
* generic containers: a sequence, set or other collection has each item
  checked (``Sequence[str]``); a mapping has its first key and value checked
  (``Mapping[str, Any]``; the store's own rules check the rest), and in a
  collection of mappings every item is checked to be a mapping but only the
  first one's first key; a fixed ``tuple[X, Y]`` has its length and items
  checked; ``type[X]``, ``Callable[...]`` and any other generic class only
  their class.

A hint it does not understand (``Any``, a forward reference, a protocol that is
not runtime-checkable, ...) gives no check at all rather than a false error.
The culprits a check returns are the value and, when the fault is inside it,
the innermost item that broke the hint (never shown: only their types are).
"""

from __future__ import annotations

import collections.abc
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

__all__ = ["Culprits", "HintCheck", "compile_hint"]

Culprits = tuple[object, ...]
"""The value that broke a hint, then the innermost item at fault (if inside)."""

Find = Callable[[object], "Culprits | None"]
FindEach = Callable[[Iterable[object]], "Culprits | None"]

_NONE_TYPE = type(None)
_SAMPLES: tuple[object, ...] = (None, False, 0, 0.0, 0j, "", b"", (), [], {})
"""Builtin values whose types may fit a protocol or ABC without further look."""
_TOWER: dict[type, tuple[type, ...]] = {float: (int, float), complex: (int, float, complex)}
_COLLECTION_ORIGINS = (collections.abc.Collection,)


class HintCheck(NamedTuple):
    """One compiled hint: ``type(value) in fast`` means it fits, else ask ``find``."""

    fast: frozenset[type]
    """Exact types that fit the hint whatever their content."""
    find: Find
    """``None`` when the value fits, else its culprits."""
    each: FindEach | None = None
    """Culprits of the first of many items that does not fit, in one call (optional)."""


_COMPILED: dict[object, HintCheck | None] = {}
"""Checks compiled so far, by hint: methods share a handful of hints."""


def compile_hint(hint: object) -> HintCheck | None:
    """The check of ``hint``, or ``None`` when it checks nothing (``Any``, unknown forms)."""
    try:
        return _COMPILED[hint]
    except KeyError:
        check = _COMPILED[hint] = _compile(hint)
        return check
    except TypeError:  # an unhashable hint (Annotated metadata, say): not kept
        return _compile(hint)


def _compile(hint: object) -> HintCheck | None:
    if hint is Any or hint is object:
        return None
    if hint is None or hint is _NONE_TYPE:
        return HintCheck(frozenset({_NONE_TYPE}), _find_none)
    if isinstance(hint, typing.TypeVar):
        if hint.__bound__ is not None:
            return compile_hint(hint.__bound__)
        if hint.__constraints__:
            return _union(hint.__constraints__)
        return None
    supertype = getattr(hint, "__supertype__", None)
    if supertype is not None and callable(hint):  # typing.NewType
        return compile_hint(supertype)
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return _union(arguments)
    if origin is typing.Annotated:
        return compile_hint(arguments[0])
    if origin is typing.Literal:
        return _literal(arguments)
    if isinstance(hint, type) and origin is None:
        return _class(hint)
    if origin is tuple and not arguments and hint is not typing.Tuple:  # noqa: UP006
        return _fixed_tuple(())  # tuple[()]: the empty tuple (Python 3.11+ spelling)
    if isinstance(origin, type):
        return _generic(origin, arguments)
    return None  # a form this module does not check


def _find_none(value: object) -> Culprits | None:
    return None if value is None else (value,)


def _fits(check: HintCheck, value: object) -> Culprits | None:
    if type(value) in check.fast:
        return None
    return check.find(value)


def _class(cls: type) -> HintCheck | None:
    accepted = _TOWER.get(cls, (cls,))
    try:
        isinstance(None, accepted)
    except TypeError:  # a protocol that is not runtime-checkable
        return None
    fast = {type(sample) for sample in _SAMPLES if isinstance(sample, accepted)}
    if type(cls) is type:  # a plain class: its own instances fit, whatever they hold
        fast.update(accepted)

    def find(value: object) -> Culprits | None:
        return None if isinstance(value, accepted) else (value,)

    return HintCheck(frozenset(fast), find, _each_str if accepted == (str,) else None)


def _each_str(items: Iterable[object]) -> Culprits | None:
    try:
        "".join(items)  # type: ignore[arg-type]  # every item a str: one pass, in C
    except TypeError:
        for item in items:
            if not isinstance(item, str):
                return (item,)
    return None


def _each(check: HintCheck) -> FindEach:
    """``check.each``, else a loop over the items that calls ``check.find`` as needed."""
    if check.each is not None:
        return check.each
    fast, find = check.fast, check.find

    def each(items: Iterable[object]) -> Culprits | None:
        if fast.issuperset(map(type, items)):
            return None  # every item's type fits outright: one pass, in C
        for item in items:
            if type(item) not in fast:
                bad = find(item)
                if bad is not None:
                    return bad
        return None

    return each


def _union(arms: tuple[object, ...]) -> HintCheck | None:
    checks = []
    for arm in arms:
        check = compile_hint(arm)
        if check is None:  # one arm takes anything: so does the union
            return None
        checks.append(check)
    fast = frozenset().union(*(check.fast for check in checks))
    real = [check for check in checks if check.find is not _find_none]
    inner = real[0] if len(real) == 1 else None

    def find(value: object) -> Culprits | None:
        for check in checks:
            if _fits(check, value) is None:
                return None
        # With one arm besides None, say what inside the value broke it.
        return inner.find(value) if inner is not None else (value,)

    return HintCheck(fast, find)


def _literal(values: tuple[object, ...]) -> HintCheck:
    def find(value: object) -> Culprits | None:
        for allowed in values:
            if type(value) is type(allowed) and value == allowed:
                return None
        return (value,)

    return HintCheck(frozenset(), find)


def _generic(origin: type, arguments: tuple[object, ...]) -> HintCheck | None:
    """A subscripted class: its class, then what its arguments say of its content."""
    base = _class(origin)
    if base is None:
        return None
    if origin is tuple and arguments and not (len(arguments) == 2 and arguments[1] is ...):
        return _fixed_tuple(arguments)
    if issubclass(origin, collections.abc.Mapping) and len(arguments) == 2:
        return _mapping(origin, compile_hint(arguments[0]), compile_hint(arguments[1]))
    if (
        issubclass(origin, _COLLECTION_ORIGINS)
        and not issubclass(origin, (type, collections.abc.Mapping))
        and arguments
    ):
        return _collection(origin, compile_hint(arguments[0]))
    if not arguments:  # typing.Tuple, typing.List, ...: the class alone
        return base
    return HintCheck(frozenset(), base.find)  # Callable[...], type[X], Iterable[X], ...


def _collection(origin: type, item: HintCheck | None) -> HintCheck:
    exact = frozenset(kind for kind in (list, tuple, set, frozenset) if issubclass(kind, origin))
    if item is None:
        return HintCheck(exact, _class_finder(origin, exact))
    each = _each(item)

    def find(value: object) -> Culprits | None:
        if type(value) not in exact and not isinstance(value, origin):
            return (value,)
        bad = each(value)  # type: ignore[arg-type]
        return None if bad is None else (value, bad[-1])

    return HintCheck(frozenset(), find)


def _mapping(origin: type, key: HintCheck | None, item: HintCheck | None) -> HintCheck:
    exact = frozenset({dict}) if issubclass(dict, origin) else frozenset()
    if key is None and item is None:
        return HintCheck(exact, _class_finder(origin, exact))

    if item is None and key is not None:  # Mapping[str, Any], the common case
        key_fast, key_find = key.fast, key.find

        def find_key(value: object) -> Culprits | None:
            if type(value) not in exact and not isinstance(value, origin):
                return (value,)
            for first in value:  # type: ignore[attr-defined]
                if type(first) not in key_fast and key_find(first) is not None:
                    return (value, first)
                break
            return None

        def each_key(values: Iterable[object]) -> Culprits | None:
            # Every item a mapping (one pass, in C when all are dicts), then the
            # first one's first key: the store's rules check every key anyway.
            if not exact.issuperset(map(type, values)):
                for value in values:
                    if type(value) not in exact and not isinstance(value, origin):
                        return (value,)
            for value in values:
                return find_key(value)
            return None

        return HintCheck(frozenset(), find_key, each_key)

    def find(value: object) -> Culprits | None:
        if type(value) not in exact and not isinstance(value, origin):
            return (value,)
        for first in value:  # type: ignore[attr-defined]
            bad = None if key is None else _fits(key, first)
            if bad is None and item is not None:
                bad = _fits(item, value[first])  # type: ignore[index]
            return None if bad is None else (value, bad[-1])
        return None

    return HintCheck(frozenset(), find)


def _fixed_tuple(arguments: tuple[object, ...]) -> HintCheck:
    items = [] if arguments == ((),) else [compile_hint(argument) for argument in arguments]

    def find(value: object) -> Culprits | None:
        if not isinstance(value, tuple) or len(value) != len(items):
            return (value,)
        for element, check in zip(value, items):
            bad = None if check is None else _fits(check, element)
            if bad is not None:
                return (value, bad[-1])
        return None

    return HintCheck(frozenset(), find)


def _class_finder(origin: type, exact: frozenset[type]) -> Find:
    def find(value: object) -> Culprits | None:
        return None if type(value) in exact or isinstance(value, origin) else (value,)

    return find
