"""The value rule: a mapping with string keys and strict JSON content.

Strict JSON means: ``dict`` (string keys only), ``list``/``tuple``, ``str``,
``int``, finite ``float``, ``bool`` and ``None``, nested at most
:data:`MAX_VALUE_DEPTH` (64) levels of objects and arrays deep, the value
itself being level 1.
Everything else (sets, bytes, datetimes, UUIDs, NaN, infinities, arbitrary
objects, non-string dictionary keys) is refused with
:class:`~kv.errors.SerializationError` before anything is written. Tuples are
accepted and read back as lists, as JSON has no tuple.

The depth limit is one rule for every store, checked here on write: MongoDB
refuses documents nested more than 100 levels, and stores wrap the value in
an envelope (the stored document, encryption or compression wrappers), so 64
leaves room for every layer; a deeper value would be written by some stores
and be unreadable or refused by others.

Values are kept as compact JSON text, which is what makes every read return a
fresh object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from kv.errors import (
    ArgumentTypeError,
    ArgumentValueError,
    DeserializationError,
    SerializationError,
)

__all__ = [
    "MAX_VALUE_DEPTH",
    "dump_value",
    "load_object",
    "load_value",
    "validate_values",
    "value_size",
]

MAX_VALUE_DEPTH = 64
"""Most levels of objects and arrays a value may nest, the value itself being level 1.

``{"a": 1}`` is 1 level deep, ``{"a": {"b": []}}`` 3. Deeper values raise
:class:`~kv.errors.SerializationError` before anything is written.
"""

_encode = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":"), check_circular=True
).encode
_decode = json.JSONDecoder().decode


def _check_structure(value: dict[str, Any]) -> None:
    """Refuse non-string dictionary keys and nesting beyond :data:`MAX_VALUE_DEPTH`.

    ``json`` would silently turn ``{1: "a"}`` into ``{"1": "a"}``; strict JSON
    refuses it. The walk is iterative and stops at the first container
    beyond the limit, so neither deep nesting nor a cycle can overflow the
    stack or run forever. Messages say what and how deep, never what the value holds.
    """
    stack: list[tuple[object, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    containers = (dict, list, tuple)
    while stack:
        node, depth = pop()
        if depth > MAX_VALUE_DEPTH:
            _refuse_depth(value)
        if isinstance(node, dict):
            for k, v in node.items():
                if type(k) is not str and not isinstance(k, str):
                    raise SerializationError(
                        "A value may only have string keys; found a key of type"
                        f" {type(k).__name__} at nesting level {depth}"
                    )
                if isinstance(v, containers):
                    push((v, depth + 1))
        else:
            for v in node:  # type: ignore[attr-defined]
                if isinstance(v, containers):
                    push((v, depth + 1))


def _refuse_depth(value: dict[str, Any]) -> NoReturn:
    try:  # a cycle is infinitely deep: say so rather than "too deep"
        _encode(value)
    except ValueError as error:
        raise SerializationError(
            f"A value must be strict JSON: {_value_error_text(error)}"
        ) from None
    except (TypeError, RecursionError):
        pass
    raise SerializationError(
        f"A value is nested more than {MAX_VALUE_DEPTH} levels deep (objects and arrays);"
        " that is the most every store can keep"
    )


def dump_value(value: Mapping[str, Any]) -> str:
    """Check ``value`` against the value rule and return its compact JSON text.

    Raises:
        SerializationError: ``value`` is not a mapping with string keys and
            strict JSON content, or is nested more than
            :data:`MAX_VALUE_DEPTH` levels deep. The message says what is
            wrong and where, without quoting the value.
    """
    if type(value) is not dict:
        if not isinstance(value, Mapping):
            raise SerializationError(
                f"A value must be a mapping with string keys, not {type(value).__name__}"
            )
        value = dict(value)
    _check_structure(value)
    try:
        return _encode(value)
    except TypeError as error:
        raise SerializationError(
            f"A value must be strict JSON: {_type_error_text(error)}"
        ) from None
    except ValueError as error:  # NaN, infinities, circular references
        raise SerializationError(
            f"A value must be strict JSON: {_value_error_text(error)}"
        ) from None
    except RecursionError:
        raise SerializationError("A value is nested too deeply to encode as JSON") from None


def _value_error_text(error: ValueError) -> str:
    text = str(error)
    if "ircular" in text:
        return "it contains itself (a circular reference)"
    if "float" in text:
        return "NaN and infinities are not JSON numbers"
    return "it holds a number that is not JSON"


def _type_error_text(error: TypeError) -> str:
    """``json``'s reason without the offending object (only its type is named)."""
    text = str(error)
    if text.startswith("Object of type ") and text.endswith(" is not JSON serializable"):
        return text
    return "it holds an object that is not JSON"


def load_value(text: str | bytes) -> dict[str, Any]:
    """Parse stored JSON text back into a fresh ``dict``.

    Raises:
        DeserializationError: the text is not JSON, or not a JSON object.
    """
    return load_object(text, "Stored value")


def load_object(text: str | bytes | bytearray | memoryview, what: str) -> dict[str, Any]:
    """Parse JSON text (UTF-8 bytes or ``str``) that must be a JSON object.

    Raises:
        DeserializationError: naming ``what`` (``"Stored value"``), when the
            text is not JSON or not a JSON object.
    """
    try:
        loaded = _decode(text if isinstance(text, str) else bytes(text).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise DeserializationError(f"{what} is not valid JSON: {error}") from None
    if type(loaded) is not dict:
        raise DeserializationError(f"{what} is a JSON {type(loaded).__name__}, not a JSON object")
    return loaded


def value_size(value: Mapping[str, Any]) -> int:
    """Size in bytes of a value's compact JSON text (it is pure ASCII)."""
    return len(dump_value(value))


_NOT_VALUE_SEQUENCES = (str, bytes, bytearray, memoryview, Mapping)


def validate_values(values: object, count: int) -> Sequence[Mapping[str, Any]]:
    """Return ``values`` if it is a valid ``values`` argument of ``put_many``.

    It must be a sequence (a ``list`` or ``tuple``, typically) of ``count``
    items, one per key; each item is checked later by :func:`dump_value`.

    Raises:
        ArgumentTypeError: ``values`` is a ``str``, ``bytes``, a mapping or
            not a sequence.
        ArgumentValueError: ``values`` does not have ``count`` items.
    """
    if (
        type(values) is not list
        and type(values) is not tuple
        and (isinstance(values, _NOT_VALUE_SEQUENCES) or not isinstance(values, Sequence))
    ):
        raise ArgumentTypeError(
            "values must be a sequence (a list or tuple) of mappings, not a"
            f" {type(values).__name__}"
        )
    if len(values) != count:
        raise ArgumentValueError(
            f"put_many got {count} keys but {len(values)} values; nothing was written"
        )
    return values
