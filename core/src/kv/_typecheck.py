"""Runtime type checks of the public protocol methods, with beartype.

Checks are on by default and cost a few hundred nanoseconds a call. Set the
environment variable ``KV_TYPECHECK=0`` (or ``false``/``no``/``off``) before
importing kv to turn them off completely: the methods are then the plain
functions, with no wrapper at all.

beartype takes a noticeable time to import, so it is imported and applied the
first time a checked method is looked up, not when kv is imported. ``import
kv`` and ``kv.connect()`` stay fast; the first call pays once.

beartype's own violation messages quote the rejected value. They are never
shown: a violation is caught and replaced by an
:class:`~kv.errors.ArgumentTypeError` that names the parameter and the
expected type only (values may be secrets) and carries the key, collection
and store like every other kv error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    import inspect

__all__ = ["TYPECHECK_ENV", "typecheck_enabled", "typechecked"]

TYPECHECK_ENV = "KV_TYPECHECK"
"""Name of the environment variable that switches runtime type checks."""

_FALSE_WORDS = frozenset({"0", "false", "no", "off"})

F = TypeVar("F", bound=Callable[..., Any])


def typecheck_enabled() -> bool:
    """Whether runtime type checks are on (read from the environment once)."""
    return _ENABLED


_ENABLED = os.environ.get(TYPECHECK_ENV, "1").strip().lower() not in _FALSE_WORDS


class _ArgumentViolationError(Exception):
    """What beartype raises for a bad argument; turned into ArgumentTypeError."""

    def __init__(self, message: str = "", culprits: tuple[object, ...] = ()) -> None:
        super().__init__("argument violates its type hint")  # beartype's text quotes it
        self.culprits = culprits


class _Source:
    """A name that ``repr()`` writes as is (a default value in generated source)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def _argument_checker(func: Callable[..., Any], signature: inspect.Signature) -> Callable[..., Any]:
    """A plain function with ``func``'s parameters and hints, checked by beartype.

    Calling it checks the arguments only (return values are not checked), and
    costs no extra coroutine: the guard calls it, then awaits ``func``.
    """

    from beartype import BeartypeConf, BeartypeStrategy, beartype

    conf = BeartypeConf(
        strategy=BeartypeStrategy.O1,
        is_pep484_tower=True,
        violation_param_type=_ArgumentViolationError,
    )
    hints = _resolved_hints(func)
    hints.pop("return", None)
    namespace: dict[str, Any] = {}
    parameters = []
    for index, parameter in enumerate(signature.parameters.values()):
        default: object = parameter.default
        if default is not parameter.empty:
            namespace[f"_default_{index}"] = default
            default = _Source(f"_default_{index}")
        parameters.append(parameter.replace(annotation=parameter.empty, default=default))
    text = str(signature.replace(parameters=parameters, return_annotation=signature.empty))
    exec(f"def {func.__name__}{text}:\n    pass\n", namespace)  # noqa: S102 - names only
    shim: Callable[..., Any] = namespace[func.__name__]
    shim.__annotations__ = hints
    shim.__qualname__ = func.__qualname__
    shim.__module__ = func.__module__
    checked: Callable[..., Any] = beartype(conf=conf)(shim)
    return checked


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
    import functools
    import inspect

    signature = inspect.signature(func)  # before beartype resolves the annotations
    check = _argument_checker(func, signature)
    # beartype takes a str for Sequence[str]; a bulk call's keys must not be one.
    names = list(signature.parameters)
    keys_at = names.index("keys") if "keys" in names else -1

    # Each guard raises outside its ``except`` clause, so beartype's exception
    # (whose text quotes the argument) is neither the cause nor the context.
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def guarded_async(*args: Any, **kwargs: Any) -> Any:
            try:
                check(*args, **kwargs)
            except _ArgumentViolationError as violation:
                culprits = violation.culprits
            else:
                if keys_at < 0:
                    return await func(*args, **kwargs)
                keys = args[keys_at] if len(args) > keys_at else kwargs.get("keys")
                if not isinstance(keys, _SINGLE_ITEMS):
                    return await func(*args, **kwargs)
                culprits = (keys,)
            raise _clean_error(func, signature, args, kwargs, culprits)

        return guarded_async  # type: ignore[return-value]

    @functools.wraps(func)
    def guarded_sync(*args: Any, **kwargs: Any) -> Any:
        try:
            check(*args, **kwargs)
        except _ArgumentViolationError as violation:
            culprits = violation.culprits
        else:
            if keys_at < 0:
                return func(*args, **kwargs)
            keys = args[keys_at] if len(args) > keys_at else kwargs.get("keys")
            if not isinstance(keys, _SINGLE_ITEMS):
                return func(*args, **kwargs)
            culprits = (keys,)
        raise _clean_error(func, signature, args, kwargs, culprits)

    return guarded_sync  # type: ignore[return-value]


_SINGLE_ITEMS = (str, bytes, bytearray, memoryview)
"""Sequences that are one item, never a bulk call's keys (or values)."""


def _a(thing: object) -> str:
    """``"a list"``, ``"an int"``: the type of ``thing``, never its value."""
    name = type(thing).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _expected(annotation: object) -> str:
    import inspect

    if isinstance(annotation, str):
        return annotation
    return inspect.formatannotation(annotation)


def _culprit_parameter(
    func: Callable[..., Any], arguments: dict[str, object], culprit: object
) -> str | None:
    """The parameter holding ``culprit`` (by identity; ties settled by a re-check)."""
    names = [name for name, value in arguments.items() if value is culprit]
    if len(names) > 1:
        import typing

        from beartype.door import is_bearable

        try:
            hints = typing.get_type_hints(func)
        except Exception:  # unresolvable hints: keep the first match
            hints = {}
        for name in names:
            if name in hints and not is_bearable(culprit, hints[name]):
                return name
    return names[0] if names else None


def _clean_error(
    func: Callable[..., Any],
    signature: inspect.Signature,
    args: tuple[object, ...],
    kwargs: dict[str, object],
    culprits: tuple[object, ...],
) -> Exception:
    """An error naming the parameter, the expected type and the type received.

    Never the value or its repr: values may be secrets. Key, collection and
    store are filled in as for every other kv error.
    """
    from kv.errors import ArgumentTypeError

    try:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
    except TypeError:
        arguments = {}
    owner = arguments.get("self", args[0] if args else None)
    store = getattr(owner, "store_name", None) or type(owner).__name__
    culprit = culprits[0] if culprits else None
    held = f" holding {_a(culprits[1])}" if len(culprits) > 1 else ""
    name = _culprit_parameter(func, arguments, culprit)
    if name is None:
        error = ArgumentTypeError(
            f"{func.__name__}() got an argument of the wrong type ({_a(culprit)}{held})"
        )
    elif name in ("keys", "values") and isinstance(culprit, _SINGLE_ITEMS):
        items, single = ("str keys", "key") if name == "keys" else ("mappings", "value")
        error = ArgumentTypeError(
            f"{func.__name__}() parameter {name!r} must be a sequence (a list or tuple)"
            f" of {items}, not {_a(culprit)}; put a single {single} in a list"
        )
    else:
        expected = _expected(signature.parameters[name].annotation)
        error = ArgumentTypeError(
            f"{func.__name__}() parameter {name!r} must be {expected}; got {_a(culprit)}{held}"
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
    :class:`TypeError`, whose message names the method, the parameter, the
    expected type and the type received, never the argument itself (it may
    be a secret), and which carries the key, collection and store like every
    kv error. Return values are not checked.
    """
    if not _ENABLED:
        return func
    lazy: F = _LazilyChecked(func)  # type: ignore[assignment]
    return lazy
