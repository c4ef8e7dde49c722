"""A cheap answer to "is this value's JSON shorter than N bytes?", without encoding it.

The compression and size-limit wrappers decide on the size of a value's
compact JSON (:func:`kv.values.dump_value`), which costs a walk of the value
and an encoding: microseconds, paid again by the wrapped store, which encodes
the value itself. For the usual small value the answer is obvious: a walk
that bounds the size from above, with no encoding and no string scan for
short strings, says so for a fraction of the cost, and the value is passed
on untouched.

:func:`surely_shorter` only ever answers ``True`` for a value that is strict
JSON (exact ``dict`` with ``str`` keys, ``list``, ``tuple``, ``str``,
``int``, finite ``float``, ``bool``, ``None``, at most
:data:`kv.values.MAX_VALUE_DEPTH` levels deep) whose compact JSON is surely
shorter than the limit. ``False`` means "cannot tell cheaply": the caller
measures with ``dump_value`` as before, which also raises the same errors for
a value that is not strict JSON.
"""

from __future__ import annotations

from typing import Any

from kv.values import MAX_VALUE_DEPTH

__all__ = ["surely_shorter"]

_SHORT = 8
"""Strings this short are bounded at 12 bytes a character without looking at them."""
_INT_LIMIT = 10**19
"""Integers strictly between minus and plus this have at most 20 characters of JSON."""
_INT_BYTES = 20
_FLOAT_BYTES = 24
"""The longest ``repr`` of a finite float (``-2.2250738585072014e-308``)."""


def _string_bytes(text: str) -> int:
    """An upper bound of the bytes of ``text``'s JSON string (quotes included).

    With ``ensure_ascii`` a character takes 1 byte (printable ASCII), 2 (``"``,
    ``\\`` and the short escapes), 6 (``\\uXXXX``) or 12 (a surrogate pair).
    """
    size = len(text)
    if size > _SHORT and text.isascii():
        return (2 if text.isprintable() else 6) * size + 2
    return 12 * size + 2


def _item_room(item: Any, room: int, depth: int) -> int:
    """``room`` minus an upper bound of ``item``'s JSON size; negative: over, or not sure."""
    kind = type(item)
    if kind is str:
        return room - _string_bytes(item)
    if kind is int:
        if -_INT_LIMIT < item < _INT_LIMIT:
            return room - _INT_BYTES
        return -1
    if kind is bool or item is None:
        return room - 5
    if kind is float:
        if item - item == 0.0:
            return room - _FLOAT_BYTES
        return -1
    if kind is dict or kind is list or kind is tuple:
        return _room(item, room, depth + 1)
    return -1


def _room(node: Any, room: int, depth: int) -> int:
    """``room`` minus an upper bound of ``node``'s JSON size; negative: over, or not sure."""
    if depth > MAX_VALUE_DEPTH:
        return -1
    room -= 2 + len(node)  # the brackets, and a comma or colon per item
    if type(node) is dict:
        for key, item in node.items():
            if type(key) is not str:
                return -1
            size = len(key)
            room -= 12 * size + 2 if size <= _SHORT else _string_bytes(key)
            kind = type(item)
            if kind is str:  # the usual cases inline, without a call
                size = len(item)
                room -= 12 * size + 2 if size <= _SHORT else _string_bytes(item)
            elif kind is int and -_INT_LIMIT < item < _INT_LIMIT:
                room -= _INT_BYTES
            else:
                room = _item_room(item, room, depth)
            if room < 0:
                return -1
    else:
        for item in node:
            room = _item_room(item, room, depth)
            if room < 0:
                return -1
    return room


def surely_shorter(value: object, limit: int) -> bool:
    """Whether ``value`` is surely strict JSON of fewer than ``limit`` bytes (compact).

    ``False`` when it is not, or when a cheap walk cannot tell: measure it
    with :func:`kv.values.dump_value` then.
    """
    if type(value) is not dict:
        return False
    # The top level walked here, as _room does, to save a call on the usual small value.
    room = limit - 3 - len(value)
    for key, item in value.items():
        if type(key) is not str:
            return False
        size = len(key)
        room -= 12 * size + 2 if size <= _SHORT else _string_bytes(key)
        kind = type(item)
        if kind is str:
            size = len(item)
            room -= 12 * size + 2 if size <= _SHORT else _string_bytes(item)
        elif kind is int and -_INT_LIMIT < item < _INT_LIMIT:
            room -= _INT_BYTES
        else:
            room = _item_room(item, room, 1)
        if room < 0:
            return False
    return room >= 0
