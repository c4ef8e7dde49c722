"""Rebuild dataclasses from JSON data using their field types, without pydantic.

:func:`compile_loader` turns a type into a loader once; the loader then checks
JSON data against the type and builds the value, raising
:class:`~kv.adapters._typed.ConversionError` with the path of the first
mismatch (never the data itself).

Supported types: dataclasses (nested and recursive), ``str``, ``int``,
``float`` (an ``int`` is accepted), ``bool``, ``None``, ``Any``/``object``,
``list[X]``, ``Sequence[X]``, ``tuple[X, ...]``, ``tuple[X, Y]``,
``dict[str, X]``, ``Mapping[str, X]``, ``X | Y``/``Optional[X]``,
``Literal[...]``, ``Annotated[X, ...]`` and ``NewType``. A type variable reads
as ``Any``. Anything else is refused with ``TypeError`` when the adapter is
made, since it could not be stored as JSON anyway.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any, Union

from kv.adapters._context import type_name
from kv.adapters._typed import ConversionError

__all__ = ["Loader", "compile_loader"]

Loader = Callable[[Any, str], Any]
"""``loader(data, path)``: the value built from ``data``; ``path`` locates it in messages."""

_LIST_ORIGINS = (list, collections.abc.Sequence, collections.abc.MutableSequence)
_DICT_ORIGINS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_UNION_ORIGINS: tuple[object, ...] = (Union, types.UnionType)


def _json_type_name(data: object) -> str:
    """Name the JSON type of ``data`` (for messages that must not show the data)."""
    if data is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}.get(
        type(data), "object" if isinstance(data, dict) else type(data).__name__
    )


def _mismatch(path: str, expected: str, data: object) -> ConversionError:
    return ConversionError(f"{path}: expected {expected}, got {_json_type_name(data)}")


def _load_any(data: Any, path: str) -> Any:
    return data


def _load_none(data: Any, path: str) -> None:
    if data is not None:
        raise _mismatch(path, "null", data)


def _load_str(data: Any, path: str) -> str:
    if type(data) is not str:
        raise _mismatch(path, "a string", data)
    return data


def _load_bool(data: Any, path: str) -> bool:
    if type(data) is not bool:
        raise _mismatch(path, "a boolean", data)
    return data


def _load_int(data: Any, path: str) -> int:
    if type(data) is not int:
        raise _mismatch(path, "an integer", data)
    return data


def _load_float(data: Any, path: str) -> float:
    if type(data) is not float and type(data) is not int:
        raise _mismatch(path, "a number", data)
    return float(data)


_PRIMITIVES: dict[object, Loader] = {
    Any: _load_any,
    object: _load_any,
    None: _load_none,
    type(None): _load_none,
    str: _load_str,
    bool: _load_bool,
    int: _load_int,
    float: _load_float,
}


class _DataclassLoader:
    """Loads one dataclass; its fields are filled in after creation (for recursion)."""

    def __init__(self, cls: type[Any]) -> None:
        self.cls = cls
        self.fields: list[tuple[str, Loader, bool]] = []  # name, loader, required

    def __call__(self, data: Any, path: str) -> Any:
        if not isinstance(data, dict):
            raise _mismatch(path, f"an object ({self.cls.__name__})", data)
        kwargs: dict[str, Any] = {}
        for name, load, required in self.fields:
            if name in data:
                kwargs[name] = load(data[name], f"{path}.{name}")
            elif required:
                raise ConversionError(f"{path}.{name}: missing required field")
        try:
            return self.cls(**kwargs)
        except (TypeError, ValueError) as error:
            refusal = type(error).__name__
        # __init__ or __post_init__ refused the data: say which class, not why
        # (the reason may quote the data), and chain nothing.
        raise ConversionError(f"{path}: {self.cls.__name__}() refused the data ({refusal})")


def compile_loader(tp: Any) -> Loader:
    """Return the loader for ``tp``.

    Raises:
        TypeError: ``tp`` (or a field type inside it) is not supported, or a
            field annotation cannot be resolved.
    """
    return _compile(tp, {}, type_name(tp))


def _primitive(tp: Any) -> Loader | None:
    try:
        return _PRIMITIVES.get(tp)
    except TypeError:  # an unhashable type form
        return None


def _compile(tp: Any, memo: dict[type[Any], _DataclassLoader], where: str) -> Loader:
    if isinstance(tp, typing.TypeVar):
        return _load_any
    if isinstance(tp, typing.NewType):
        return _compile(tp.__supertype__, memo, where)
    primitive = _primitive(tp)
    if primitive is not None:
        return primitive
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _compile_dataclass(tp, memo)

    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _compile(args[0], memo, where)
    if origin in _UNION_ORIGINS:
        return _compile_union([_compile(arg, memo, where) for arg in args], args)
    if origin is typing.Literal:
        return _compile_literal(args)
    if origin in _LIST_ORIGINS or tp in _LIST_ORIGINS:
        item = _compile(args[0] if args else Any, memo, where)
        return _compile_list(item)
    if origin is tuple or tp is tuple:
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            item = _compile(args[0] if args else Any, memo, where)
            return _compile_tuple(item)
        return _compile_fixed_tuple([_compile(arg, memo, where) for arg in args])
    if origin in _DICT_ORIGINS or tp in _DICT_ORIGINS:
        if args and args[0] not in (str, Any):
            raise TypeError(
                f"{where}: a JSON object has string keys; {type_name(tp)} is not supported"
            )
        value = _compile(args[1] if args else Any, memo, where)
        return _compile_dict(value)
    if dataclasses.is_dataclass(origin) and isinstance(origin, type):
        return _compile_dataclass(origin, memo)  # a generic dataclass: parameters read as Any
    raise TypeError(
        f"{where}: the type {type_name(tp)} cannot be stored by DataclassAdapter"
        " (supported: dataclasses, str, int, float, bool, None, Any, list, tuple,"
        " dict[str, ...], unions, Literal); use PydanticAdapter for richer types"
    )


def _compile_dataclass(cls: type[Any], memo: dict[type[Any], _DataclassLoader]) -> Loader:
    if cls in memo:
        return memo[cls]
    loader = memo[cls] = _DataclassLoader(cls)
    try:
        hints = typing.get_type_hints(cls)
    except Exception as error:
        raise TypeError(
            f"Cannot resolve the field types of {cls.__qualname__}: {error}"
            " (define the types it uses at module level)"
        ) from error
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        required = (
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        )
        where = f"field {cls.__qualname__}.{field.name}"
        loader.fields.append((field.name, _compile(hints[field.name], memo, where), required))
    return loader


def _compile_union(loaders: list[Loader], members: tuple[Any, ...]) -> Loader:
    exact = {
        member: load
        for member, load in zip(members, loaders)
        if isinstance(member, type) and _primitive(member) is not None
    }
    expected = " or ".join(type_name(member) for member in members)

    def load_union(data: Any, path: str) -> Any:
        # A member that is exactly the data's type wins (so 1 stays an int in float | int).
        direct = exact.get(type(data))
        if direct is not None:
            return direct(data, path)
        # Otherwise the first member that loads wins. If exactly one member
        # matched the data's kind but failed deeper inside, its error is the
        # useful one (e.g. a missing field of the X in ``X | None``).
        deeper: list[ConversionError] = []
        for load in loaders:
            value, error = _attempt(load, data, path)
            if error is None:
                return value
            if not error.reason.startswith(f"{path}: expected"):
                deeper.append(error)
        if len(deeper) == 1:
            raise deeper[0]
        raise _mismatch(path, expected, data)

    return load_union


def _attempt(load: Loader, data: Any, path: str) -> tuple[Any, ConversionError | None]:
    """Run ``load``; return ``(value, None)`` or ``(None, the conversion error)``."""
    try:
        return load(data, path), None
    except ConversionError as error:
        return None, error


def _compile_literal(values: tuple[Any, ...]) -> Loader:
    expected = " or ".join(repr(value) for value in values)

    def load_literal(data: Any, path: str) -> Any:
        for value in values:
            if type(data) is type(value) and data == value:
                return value
        raise ConversionError(f"{path}: expected one of {expected}, got another value")

    return load_literal


def _compile_list(item: Loader) -> Loader:
    def load_list(data: Any, path: str) -> list[Any]:
        if type(data) is not list:
            raise _mismatch(path, "an array", data)
        return [item(element, f"{path}[{index}]") for index, element in enumerate(data)]

    return load_list


def _compile_tuple(item: Loader) -> Loader:
    def load_tuple(data: Any, path: str) -> tuple[Any, ...]:
        if type(data) is not list:
            raise _mismatch(path, "an array", data)
        return tuple(item(element, f"{path}[{index}]") for index, element in enumerate(data))

    return load_tuple


def _compile_fixed_tuple(items: list[Loader]) -> Loader:
    def load_fixed_tuple(data: Any, path: str) -> tuple[Any, ...]:
        if type(data) is not list:
            raise _mismatch(path, "an array", data)
        if len(data) != len(items):
            raise ConversionError(
                f"{path}: expected an array of {len(items)} items, got {len(data)}"
            )
        return tuple(
            load(element, f"{path}[{index}]")
            for index, (load, element) in enumerate(zip(items, data))
        )

    return load_fixed_tuple


def _compile_dict(value: Loader) -> Loader:
    def load_dict(data: Any, path: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise _mismatch(path, "an object", data)
        # The keys are data too, so paths do not name them.
        return {key: value(element, f"{path}[<key>]") for key, element in data.items()}

    return load_dict
