"""Store options from a URL's query and from keywords, validated in one place.

A plugin describes its options as a dataclass; :func:`parse_options` fills it
from the URL query (text) and the keyword arguments of ``kv.connect`` (which
win), converts text to each field's type, and rejects unknown names and bad
values with :class:`~kv.errors.InvalidOptionError`::

    @dataclass
    class RedisOptions:
        db: int = 0
        ssl_ca_certs: str | None = None

    options = parse_options(url, keywords, RedisOptions, store="redis")

Errors name the option but never show the value of a secret one (see
:func:`kv.url.is_secret_option`: ``password``, ``ssl_password``, ``token``,
``api_key``, ...), nor the reason, which may quote it.

Text is converted for ``str``, ``int``, ``float``, ``bool`` (``1/true/yes/on``
and ``0/false/no/off``), ``pathlib.Path``, ``Literal[...]`` choices,
``tuple[X, ...]`` (a name repeated in the query, or comma-separated) and
``X | None`` (the text ``none`` or an empty value). Keyword values of any
other declared type (a client object, say) are passed through as given.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from kv.errors import InvalidOptionError
from kv.url import StoreURL, is_secret_option

__all__ = ["CommonOptions", "parse_options"]

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class CommonOptions:
    """Options every store built on :class:`~kv.store.BaseStore` understands.

    Plugin option dataclasses subclass this, so these names mean the same on
    every URL: ``?default_collection=`` and, for stores that reclaim expired
    entries, ``?sweep_interval=`` (seconds, or ``none``) and ``?sweep_limit=``.
    """

    default_collection: str | None = None
    sweep_interval: float | None = 60.0
    sweep_limit: int = 500


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _is_optional(annotation: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) < len(typing.get_args(annotation)):
            inner = args[0] if len(args) == 1 else typing.Union[tuple(args)]  # noqa: UP007
            return True, inner
    return False, annotation


def _convert_text(text: str, annotation: Any) -> object:
    optional, inner = _is_optional(annotation)
    if optional and text.strip().lower() in ("", "none", "null"):
        return None
    origin = typing.get_origin(inner)
    if origin is typing.Literal:
        choices = typing.get_args(inner)
        for choice in choices:
            if str(choice) == text:
                return choice
        raise ValueError(f"must be one of {', '.join(map(repr, choices))}")
    if origin is tuple:
        item_type = typing.get_args(inner)[0]
        return tuple(_convert_text(part.strip(), item_type) for part in text.split(",") if part)
    if inner is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("must be true or false")
    if inner is int:
        return int(text)
    if inner is float:
        return float(text)
    if inner is Path:
        return Path(text)
    if inner is str or inner is Any or inner is object:
        return text
    raise ValueError("cannot be given as text; pass it as a keyword argument")


def _check_keyword(value: object, annotation: Any) -> object:
    if isinstance(value, str):
        optional, inner = _is_optional(annotation)
        if inner is not str and inner is not Any and inner is not object:
            return _convert_text(value, annotation)
        return value
    optional, inner = _is_optional(annotation)
    if value is None:
        if not optional:
            raise ValueError("must not be None")
        return None
    origin = typing.get_origin(inner)
    if inner is bool and not isinstance(value, bool):
        raise ValueError(f"must be a bool, not {type(value).__name__}")
    if inner is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"must be an int, not {type(value).__name__}")
    if inner is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"must be a number, not {type(value).__name__}")
    if inner is float:
        return float(value)  # type: ignore[arg-type]
    if inner is Path and isinstance(value, str | Path):
        return Path(value)
    if origin is tuple and isinstance(value, list | tuple):
        return tuple(value)
    return value


def parse_options(
    url: StoreURL | None,
    keywords: Mapping[str, object],
    spec: type[T],
    *,
    store: str,
    ignore: frozenset[str] = frozenset(),
) -> T:
    """Build the options dataclass ``spec`` from ``url``'s query and ``keywords``.

    Args:
        url: The parsed URL (its query is read), or ``None``.
        keywords: Keyword options; they override query values of the same name.
        spec: A dataclass whose fields are the accepted options.
        store: The store's name, for error messages.
        ignore: Query names to skip (handled by the plugin itself).

    Raises:
        InvalidOptionError: an unknown name, a value of the wrong type, or a
            required option missing. Passwords are never echoed.
    """
    if not dataclasses.is_dataclass(spec):
        raise TypeError(f"{spec!r} is not a dataclass")
    hints = typing.get_type_hints(spec)
    known = {f.name: f for f in dataclasses.fields(spec) if f.init}
    values: dict[str, object] = {}
    query = url.query if url is not None else {}
    for name, texts in query.items():
        if name in ignore:
            continue
        if name not in known:
            raise _unknown(name, known, store, "URL query")
        annotation = hints[name]
        is_tuple = typing.get_origin(_is_optional(annotation)[1]) is tuple
        if len(texts) > 1 and not is_tuple:
            raise InvalidOptionError(f"Option {name!r} is given more than once", store=store)
        try:
            if is_tuple and len(texts) > 1:
                item = typing.get_args(_is_optional(annotation)[1])[0]
                values[name] = tuple(_convert_text(text, item) for text in texts)
            else:
                values[name] = _convert_text(texts[0], annotation)
        except ValueError as error:
            raise _invalid(name, texts[-1], error, store) from None
    for name, value in keywords.items():
        if name not in known:
            raise _unknown(name, known, store, "keyword")
        try:
            values[name] = _check_keyword(value, hints[name])
        except ValueError as error:
            raise _invalid(name, value, error, store) from None
    missing = [
        name
        for name, f in known.items()
        if name not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise InvalidOptionError(f"Missing required option(s): {', '.join(missing)}", store=store)
    return spec(**values)


def _unknown(name: str, known: Mapping[str, object], store: str, where: str) -> InvalidOptionError:
    accepted = ", ".join(sorted(known)) or "none"
    return InvalidOptionError(f"Unknown {where} option {name!r}; accepted: {accepted}", store=store)


_SHOWN_TYPES = (str, int, float, bool, type(None), Path)


def _invalid(name: str, value: object, error: ValueError, store: str) -> InvalidOptionError:
    if is_secret_option(name):  # neither the value nor the reason (it may quote it)
        return InvalidOptionError(
            f"Option {name!r} has an invalid value (not shown: the option holds a secret)",
            store=store,
        )
    if not isinstance(value, _SHOWN_TYPES):  # an object's repr may hold anything
        return InvalidOptionError(
            f"Option {name!r} got {type(value).__name__}: {error}", store=store
        )
    return InvalidOptionError(f"Option {name!r} = {value!r}: {error}", store=store)
