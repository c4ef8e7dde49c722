"""Runtime type checks of the public protocol methods, written for kv.

Checks are on by default and cost well under a microsecond a call. Set the
environment variable ``KV_TYPECHECK=0`` (or ``false``/``no``/``off``) before
importing kv to turn them off completely: the methods are then the plain
functions, with no wrapper at all.

No checking library is used. The first time a checked method is looked up,
its annotations are resolved and compiled (:mod:`kv._hints`) into a wrapper
with the method's own signature that tests each argument with a few
``type()``/``isinstance`` tests and then calls the method: about a
millisecond once per method, nothing at ``import kv``.

A violation raises an :class:`~kv.errors.ArgumentTypeError` that names the
parameter and the expected type only, never the value (values may be
secrets), and carries the key, collection and store like every other kv
error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    import inspect

    from kv._hints import Culprits

__all__ = ["TYPECHECK_ENV", "typecheck_enabled", "typechecked", "with_signature_of"]

TYPECHECK_ENV = "KV_TYPECHECK"
"""Name of the environment variable that switches runtime type checks."""

_FALSE_WORDS = frozenset({"0", "false", "no", "off"})

F = TypeVar("F", bound=Callable[..., Any])


def typecheck_enabled() -> bool:
    """Whether runtime type checks are on (read from the environment once)."""
    return _ENABLED


_ENABLED = os.environ.get(TYPECHECK_ENV, "1").strip().lower() not in _FALSE_WORDS

_SINGLE_ITEMS = (str, bytes, bytearray, memoryview)
"""Sequences that are one item, never a bulk call's keys (or values)."""


def _resolved_hints(func: Callable[..., Any]) -> dict[str, Any]:
    """``func``'s type hints, resolved; a hint that cannot be resolved is left out.

    (A name imported only under ``TYPE_CHECKING``, say: that parameter is then
    not checked, rather than the method failing.)
    """
    import types
    import typing

    try:
        return typing.get_type_hints(func)
    except Exception:  # one unresolvable hint: resolve the others one by one
        hints: dict[str, Any] = {}
        namespace = getattr(func, "__globals__", {})
        for name, annotation in getattr(func, "__annotations__", {}).items():
            holder = types.SimpleNamespace(__annotations__={name: annotation})
            try:
                hints.update(typing.get_type_hints(holder, globalns=namespace))
            except Exception:  # noqa: S112 - left unchecked on purpose
                continue
        return hints


def _check(func: F) -> F:
    """``func`` behind a wrapper of the same signature that checks its arguments.

    The wrapper is generated source (see :func:`_check_lines`), compiled
    once. Return values are not checked. A coroutine function's wrapper is a
    coroutine function that awaits it (no other coroutine in between).
    """
    import inspect

    signature = inspect.signature(func)
    closure: dict[str, object] = {
        "_kv_fail_": _failure(func.__name__, signature),
        "_kv_single_": _SINGLE_ITEMS,
    }
    checks = _check_lines(signature, _resolved_hints(func), closure)
    call = "await _kv_func_({all})" if inspect.iscoroutinefunction(func) else "_kv_func_({all})"
    return with_signature_of(func, [*checks, f"return {call}"], closure, purpose="type checks")


def with_signature_of(func: F, body: list[str], names: dict[str, object], *, purpose: str) -> F:
    """A new function with ``func``'s exact signature, name and docstring, and ``body``.

    ``body`` is source lines, formatted with ``{all}`` (every parameter passed
    on as it came, as a call's argument list) and ``{rest}`` (the same without
    the first parameter, ``self`` of a method); they may use ``_kv_func_``
    (``func`` itself) and the objects of ``names`` by name. The function is
    compiled once, here, and is a coroutine function when ``func`` is one.
    Used for kv's runtime type checks and for wrappers that pass a call on
    with no other frame in between.
    """
    import functools
    import inspect

    signature = inspect.signature(func)
    closure: dict[str, object] = {"_kv_func_": func, **names}
    parameters, call = _parameter_lines(signature, closure)
    arguments = {"all": ", ".join(call), "rest": ", ".join(call[1:])}
    source = "\n".join(
        [
            f"def _kv_build_({', '.join(closure)}):",
            f"    {'async ' if inspect.iscoroutinefunction(func) else ''}"
            f"def _kv_generated_({', '.join(parameters)}):",
            *("        " + line.format(**arguments) for line in body),
            "    return _kv_generated_",
        ]
    )
    namespace: dict[str, Any] = {}
    code = compile(source, f"<kv {purpose} of {func.__qualname__}>", "exec")
    exec(code, namespace)  # noqa: S102 - generated from parameter names only
    generated: F = namespace["_kv_build_"](**closure)
    functools.update_wrapper(generated, func)
    return generated


def _parameter_lines(
    signature: inspect.Signature, closure: dict[str, object]
) -> tuple[list[str], list[str]]:
    """The parameter list of a function with ``signature``, and the argument list
    that passes each parameter on as it came; defaults are added to ``closure``
    (they are the function's own objects)."""
    import inspect

    kinds = inspect.Parameter
    parameters: list[str] = []
    call: list[str] = []
    previous: object = None
    for index, (name, parameter) in enumerate(signature.parameters.items()):
        kind = parameter.kind
        if previous is kinds.POSITIONAL_ONLY and kind is not kinds.POSITIONAL_ONLY:
            parameters.append("/")
        if kind is kinds.KEYWORD_ONLY and previous not in (
            kinds.KEYWORD_ONLY,
            kinds.VAR_POSITIONAL,
        ):
            parameters.append("*")
        previous = kind
        default = ""
        if parameter.default is not parameter.empty:
            closure[f"_kv_d{index}_"] = parameter.default
            default = f"=_kv_d{index}_"
        prefix = "*" if kind is kinds.VAR_POSITIONAL else "**" if kind is kinds.VAR_KEYWORD else ""
        parameters.append(f"{prefix}{name}{default}")
        call.append(f"{name}={name}" if kind is kinds.KEYWORD_ONLY else f"{prefix}{name}")
    if previous is kinds.POSITIONAL_ONLY:
        parameters.append("/")
    return parameters, call


def _check_lines(
    signature: inspect.Signature, hints: dict[str, Any], closure: dict[str, object]
) -> list[str]:
    """The lines that check the arguments; what they name is added to ``closure``.

    Each checked parameter gets one test of ``type(argument)`` against the
    exact types its hint accepts outright (a set lookup), and only otherwise
    a call of the compiled check (:func:`kv._hints.compile_hint`); a failed
    check raises ``_kv_fail_(name, culprits, arguments)``. A ``keys``
    parameter refuses a single ``str`` (or ``bytes``) after the type checks,
    as ``Sequence[str]`` takes one.
    """
    import inspect

    from kv._hints import compile_hint

    kinds = inspect.Parameter
    everything = "{{" + ", ".join(f"{name!r}: {name}" for name in signature.parameters) + "}}"
    body: list[str] = []
    for index, (name, parameter) in enumerate(signature.parameters.items()):
        check = compile_hint(hints[name]) if name in hints else None
        if check is None:
            continue
        closure[f"_kv_f{index}_"], closure[f"_kv_c{index}_"] = check.fast, check.find
        value, indent = name, ""
        if parameter.kind is kinds.VAR_POSITIONAL or parameter.kind is kinds.VAR_KEYWORD:
            items = name if parameter.kind is kinds.VAR_POSITIONAL else f"{name}.values()"
            body.append(f"for _kv_item_ in {items}:")
            value, indent = "_kv_item_", "    "
        body += [
            f"{indent}if type({value}) not in _kv_f{index}_:",
            f"{indent}    _kv_bad_ = _kv_c{index}_({value})",
            f"{indent}    if _kv_bad_ is not None:",
            f"{indent}        raise _kv_fail_({name!r}, _kv_bad_, {everything})",
        ]
    if "keys" in signature.parameters:
        body += [
            "if isinstance(keys, _kv_single_):",
            f"    raise _kv_fail_('keys', (keys,), {everything})",
        ]
    return body


def _a(thing: object) -> str:
    """``"a list"``, ``"an int"``: the type of ``thing``, never its value."""
    name = type(thing).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _expected(annotation: object) -> str:
    import inspect

    if isinstance(annotation, str):
        return annotation
    return inspect.formatannotation(annotation)


def _failure(
    method: str, signature: inspect.Signature
) -> Callable[[str, Culprits, dict[str, object]], Exception]:
    """What a checked method raises for a bad argument (see :func:`_clean_error`)."""

    def fail(name: str, culprits: Culprits, arguments: dict[str, object]) -> Exception:
        return _clean_error(method, signature, name, culprits, arguments)

    return fail


def _clean_error(
    method: str,
    signature: inspect.Signature,
    name: str,
    culprits: Culprits,
    arguments: dict[str, object],
) -> Exception:
    """An error naming the parameter, the expected type and the type received.

    Never the value or its repr: values may be secrets. Key, collection and
    store are filled in as for every other kv error.
    """
    from kv.errors import ArgumentTypeError

    first = next(iter(arguments.values()), None)
    owner = arguments.get("self", first)
    store = getattr(owner, "store_name", None) or type(owner).__name__
    culprit = culprits[0]
    held = f" holding {_a(culprits[1])}" if len(culprits) > 1 else ""
    if name in ("keys", "values") and isinstance(culprit, _SINGLE_ITEMS):
        items, single = ("str keys", "key") if name == "keys" else ("mappings", "value")
        error = ArgumentTypeError(
            f"{method}() parameter {name!r} must be a sequence (a list or tuple)"
            f" of {items}, not {_a(culprit)}; put a single {single} in a list"
        )
    else:
        expected = _expected(signature.parameters[name].annotation)
        error = ArgumentTypeError(
            f"{method}() parameter {name!r} must be {expected}; got {_a(culprit)}{held}"
        )
    key = arguments.get("key")
    collection: object = arguments.get("collection", "")
    if collection is None:
        from kv.names import declared_default_collection

        collection = declared_default_collection(owner)
    error.add_context(
        store=str(store),
        collection=collection
        if type(collection) is str and collection and name != "collection"
        else None,
        key=key if type(key) is str and name != "key" else None,
    )
    return error


class _LazilyChecked(Generic[F]):
    """Descriptor that swaps in the checked function on first lookup."""

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
    :class:`TypeError`, whose message names the method, the parameter, the
    expected type and the type received, never the argument itself (it may
    be a secret), and which carries the key, collection and store like every
    kv error. Return values are not checked; the hint forms understood are
    listed in :mod:`kv._hints` (others are not checked).
    """
    if not _ENABLED:
        return func
    lazy: F = _LazilyChecked(func)  # type: ignore[assignment]
    return lazy
