"""The value rule: a mapping with string keys and strict JSON content.

Strict JSON means: ``dict`` (string keys only), ``list``/``tuple``, ``str``,
``int``, finite ``float``, ``bool`` and ``None``, nested to any depth.
Everything else (sets, bytes, datetimes, UUIDs, NaN, infinities, arbitrary
objects, non-string dictionary keys) is refused with
:class:`~kv.errors.SerializationError` before anything is written. Tuples are
accepted and read back as lists, as JSON has no tuple.

Values are kept as compact JSON text, which is what makes every read return a
fresh object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kv.errors import DeserializationError, SerializationError

__all__ = ["dump_value", "load_value", "value_size"]

_encode = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":"), check_circular=True
).encode
_decode = json.JSONDecoder().decode


def _non_string_key_path(value: object) -> str | None:
    """Return where a dict with a non-string key sits, or ``None`` if none does.

    ``json`` would silently turn ``{1: "a"}`` into ``{"1": "a"}``; strict JSON
    refuses it. The walk is iterative, so deep nesting cannot overflow the
    stack, and visits each container once, so cycles end (``json`` then
    reports them).
    """
    stack: list[tuple[object, str]] = [(value, "$")]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for k, v in node.items():
                if type(k) is not str and not isinstance(k, str):
                    return f"{path}[{k!r}]"
                if isinstance(v, (dict, list, tuple)):
                    stack.append((v, f"{path}.{k}"))
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                if isinstance(v, (dict, list, tuple)):
                    stack.append((v, f"{path}[{i}]"))
    return None


def dump_value(value: Mapping[str, Any]) -> str:
    """Check ``value`` against the value rule and return its compact JSON text.

    Raises:
        SerializationError: ``value`` is not a mapping with string keys and
            strict JSON content. The message says what and where.
    """
    if type(value) is not dict:
        if not isinstance(value, Mapping):
            raise SerializationError(
                f"A value must be a mapping with string keys, not {type(value).__name__}"
            )
        value = dict(value)
    bad = _non_string_key_path(value)
    if bad is not None:
        raise SerializationError(f"A value may only have string keys; found {bad}")
    try:
        return _encode(value)
    except TypeError as error:
        raise SerializationError(f"A value must be strict JSON: {error}") from None
    except ValueError as error:  # NaN, infinities, circular references
        raise SerializationError(f"A value must be strict JSON: {error}") from None
    except RecursionError:
        raise SerializationError("A value is nested too deeply to encode as JSON") from None


def load_value(text: str | bytes) -> dict[str, Any]:
    """Parse stored JSON text back into a fresh ``dict``.

    Raises:
        DeserializationError: the text is not JSON, or not a JSON object.
    """
    try:
        loaded = _decode(text if isinstance(text, str) else bytes(text).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise DeserializationError(f"Stored value is not valid JSON: {error}") from None
    if type(loaded) is not dict:
        raise DeserializationError(
            f"Stored value is a JSON {type(loaded).__name__}, not a JSON object"
        )
    return loaded


def value_size(value: Mapping[str, Any]) -> int:
    """Size in bytes of a value's compact JSON text (it is pure ASCII)."""
    return len(dump_value(value))
