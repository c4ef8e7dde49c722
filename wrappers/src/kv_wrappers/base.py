"""``BaseWrapper``: pass every call through, and pass capabilities through too.

A wrapper implements :class:`kv.AsyncKeyValue` over one or more other stores.
Subclasses override only the calls they change. Unlike py-key-value's
wrappers, the optional capabilities (``keys``, ``collections``, ``destroy``,
``destroy_collection``, ``cull``, ``atomic``) pass through: a wrapper offers
one exactly when every store it wraps offers it and the wrapper can translate
it, so ``isinstance(wrapper, kv.EnumerateKeys)`` is true only when ``keys()``
works. Wrappers that change names translate them back in the ``_pass_*``
hooks (a prefix wrapper lists unprefixed keys).

The ``atomic`` operations (:mod:`kv.atomic`) pass through as four hooks,
``_pass_put_if_absent``, ``_pass_get_versioned``, ``_pass_put_if_version`` and
``_pass_delete_if_version``: each makes exactly one call of the wrapped
store's own atomic operation, so the condition is still checked by the
backend in one step (a wrapper never reads and then writes). Versions are the
wrapped store's, passed through unchanged. A wrapper that cannot keep the
meaning leaves ``atomic`` out of :attr:`BaseWrapper.passes_through`.

How it works: after ``__init__``, the wrapper's class is switched to a cached
subclass that also has the pass-through methods it can offer, so the
protocol checks see real methods on every Python version.

The same subclass skips work a pass-through call does not need: when the
wrapped store is a kv store or wrapper (which checks the types of its
arguments itself, with kv's runtime type checks on), each protocol call the
wrapper passes on unchanged (:meth:`BaseWrapper._delegates`) goes straight to
it, without checking the same arguments first; a refused argument's
``ArgumentTypeError`` still names this wrapper as the store, as its own check
would have.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Literal, SupportsFloat, TypeVar, cast

import kv
from kv._typecheck import typecheck_enabled, typechecked, with_signature_of
from kv.atomic import ATOMIC_OPERATIONS, AtomicKeyValue, Versioned
from kv.capabilities import OPTIONAL_OPERATIONS, Capabilities
from kv.errors import ArgumentTypeError, UnsupportedOperationError
from kv.protocols import OPTIONAL_PROTOCOLS
from kv.store import BaseStore, check_limit, collect_names

__all__ = [
    "PROTOCOL_CALLS",
    "READ_CALLS",
    "WRITE_CALLS",
    "BaseWrapper",
    "capabilities_of",
    "close_walk",
    "defined_by",
    "protocol_calls",
]

_PROTOCOLS = OPTIONAL_PROTOCOLS


def capabilities_of(store: object) -> Capabilities:
    """The declared capabilities of any store or wrapper (basic if it declares none)."""
    declared = getattr(store, "capabilities", None)
    return declared if isinstance(declared, Capabilities) else Capabilities()


def _offers(store: object, flag: str) -> bool:
    if flag == "enumerate_keys":
        return callable(getattr(store, "keys", None))
    if flag == "enumerate_collections":
        return callable(getattr(store, "collections", None))
    return isinstance(store, _PROTOCOLS[flag])


class BaseWrapper:
    """A store that passes every call to ``key_value``.

    Args:
        key_value: The store (or wrapper) to wrap.

    Attributes:
        key_value: The wrapped store.
    """

    passes_through: ClassVar[frozenset[str]] = frozenset(OPTIONAL_OPERATIONS)
    """Optional capabilities this wrapper can offer when the wrapped stores do."""

    _hands_arguments_on: ClassVar[frozenset[str]] = frozenset()
    """Protocol calls whose method, defined by this class, gives its arguments unchanged to
    a wrapped store before doing anything else: over stores that check their
    arguments, the wrapper uses the method without its own runtime check (an
    ``ArgumentTypeError`` from the wrapped store is then renamed to name this
    wrapper, by the one frame that replaces the check)."""

    _variant_of: ClassVar[type[BaseWrapper] | None] = None

    def __init__(self, key_value: kv.AsyncKeyValue) -> None:
        self.key_value = key_value
        self._offer_capabilities()

    _shown: ClassVar[tuple[str, ...]] = ()
    """The attributes :meth:`__repr__` shows, before the wrapped store (never a secret)."""

    def __repr__(self) -> str:
        shown = "".join(f" {name}={getattr(self, name)!r}" for name in self._shown)
        return f"<{type(self).__name__}{shown} over {self.key_value!r}>"

    # --- capabilities ------------------------------------------------------------

    def _wrapped_stores(self) -> Sequence[object]:
        """Every store this wrapper sends calls to (all must offer a capability)."""
        return [self.key_value]

    def _offered_operations(self) -> frozenset[str]:
        stores = self._wrapped_stores()
        return frozenset(
            flag
            for flag in self.passes_through
            if stores and all(_offers(store, flag) for store in stores)
        )

    def _offer_capabilities(self) -> None:
        """Switch to the subclass with exactly the offered optional methods (and unchecked
        pass-through calls when the wrapped store checks their arguments)."""
        base = type(self)._variant_of or type(self)
        stores = self._wrapped_stores()
        direct = bool(stores) and all(_checks_arguments(store) for store in stores)
        self.__class__ = _variant(base, self._offered_operations(), direct)

    @classmethod
    def _delegates(cls) -> frozenset[str]:
        """The protocol calls this class passes to ``key_value`` exactly as they came.

        By default those it inherits from :class:`BaseWrapper` unchanged. A
        subclass whose own method may also delegate that way adds its name.
        """
        return frozenset(name for name in _PROTOCOL_CALLS if defined_by(cls, name) is BaseWrapper)

    @property
    def _atomic(self) -> AtomicKeyValue:
        """The wrapped store, as a store with atomic operations (when it offers them)."""
        return cast(AtomicKeyValue, self.key_value)

    def _store_name(self) -> str:
        """The name this wrapper's own argument checks give as the store."""
        return str(getattr(self, "store_name", None) or type(self).__name__)

    @property
    def capabilities(self) -> Capabilities:
        """The wrapped store's capabilities, limited to what this wrapper offers."""
        stores = self._wrapped_stores()
        first = capabilities_of(stores[0]) if stores else Capabilities()
        offered = self._offered_operations()
        flags: dict[str, Any] = {flag: flag in offered for flag in OPTIONAL_OPERATIONS}
        return self._adjust_capabilities(replace(first, **flags))

    def _adjust_capabilities(self, capabilities: Capabilities) -> Capabilities:
        """Hook: change what the wrapper declares (e.g. read-only)."""
        return capabilities

    # --- lifecycle ---------------------------------------------------------------

    async def setup(self) -> None:
        """Set up every wrapped store that can be set up."""
        for store in self._wrapped_stores():
            setup = getattr(store, "setup", None)
            if setup is not None:
                await setup()

    async def close(self) -> None:
        """Close every wrapped store that can be closed."""
        for store in self._wrapped_stores():
            close = getattr(store, "close", None)
            if close is not None:
                await close()

    async def __aenter__(self) -> BaseWrapper:
        await self.setup()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- the protocol: pass through --------------------------------------------------

    @typechecked
    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value of ``key`` from the wrapped store."""
        return await self.key_value.get(key, collection=collection)

    @typechecked
    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining seconds)`` from the wrapped store."""
        return await self.key_value.ttl(key, collection=collection)

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value`` in the wrapped store."""
        await self.key_value.put(key, value, collection=collection, ttl=ttl)

    @typechecked
    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Delete ``key`` from the wrapped store."""
        return await self.key_value.delete(key, collection=collection)

    @typechecked
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        """Return the values of ``keys`` from the wrapped store, in order."""
        return await self.key_value.get_many(keys, collection=collection)

    @typechecked
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """Return ``(value, remaining seconds)`` for each key, in order."""
        return await self.key_value.ttl_many(keys, collection=collection)

    @typechecked
    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store several values in the wrapped store."""
        await self.key_value.put_many(keys, values, collection=collection, ttl=ttl)

    @typechecked
    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys`` from the wrapped store; return how many existed."""
        return await self.key_value.delete_many(keys, collection=collection)

    # --- pass-through hooks of the optional capabilities ------------------------------
    # Wrappers that rename keys or collections override these to translate.

    def _pass_iter_keys(self, collection: str | None, page_size: int | None) -> AsyncIterator[str]:
        return _iter_keys_of(self.key_value, collection, page_size)

    def _pass_iter_collections(self, page_size: int | None) -> AsyncIterator[str]:
        return _iter_collections_of(self.key_value, page_size)

    async def _pass_destroy(self) -> bool:
        return bool(await cast(kv.DestroyStore, self.key_value).destroy())

    async def _pass_destroy_collection(self, collection: str) -> bool:
        return bool(await cast(kv.DestroyCollection, self.key_value).destroy_collection(collection))

    async def _pass_cull(self) -> int:
        removed = await cast(kv.Cull, self.key_value).cull()
        return int(removed or 0)

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        return await self._atomic.put_if_absent(key, value, collection=collection, ttl=ttl)

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Versioned | None:
        return await self._atomic.get_versioned(key, collection=collection)

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        return await self._atomic.put_if_version(
            key, value, version, collection=collection, ttl=ttl
        )

    async def _pass_delete_if_version(self, key: str, version: str, collection: str | None) -> bool:
        return await self._atomic.delete_if_version(key, version, collection=collection)


def _iter_keys_of(
    store: object, collection: str | None, page_size: int | None
) -> AsyncGenerator[str, None]:
    """Walk the keys of any store: ``iter_keys`` if it has it, else ``keys()``."""
    return _walk_names(store, "keys", (collection,), page_size)


def _iter_collections_of(store: object, page_size: int | None) -> AsyncGenerator[str, None]:
    """Walk the collections of any store (``iter_collections``, else ``collections()``)."""
    return _walk_names(store, "collections", (), page_size)


async def _walk_names(
    store: object,
    names: Literal["keys", "collections"],
    args: tuple[str | None, ...],
    page_size: int | None,
) -> AsyncGenerator[str, None]:
    """Walk ``store``'s ``iter_<names>(*args)``, else the list of its ``<names>(*args)``."""
    walk = getattr(store, f"iter_{names}", None)
    if walk is not None:
        async with contextlib.aclosing(walk(*args, page_size=page_size)) as walked:
            async for name in walked:
                yield name
        return
    lister = getattr(store, names, None)
    if lister is None:
        raise UnsupportedOperationError(f"The wrapped store cannot list {names}")
    for name in await lister(*args, limit=None):
        yield name


async def close_walk(walk: AsyncIterator[str]) -> None:
    """Close ``walk`` if it can be closed (async generators can; a plain iterator may not)."""
    close = getattr(walk, "aclose", None)
    if close is not None:
        await close()


def defined_by(cls: type, name: str) -> type | None:
    """The class of ``cls``'s method resolution order that defines ``name`` (``None``: none)."""
    return next((klass for klass in cls.__mro__ if name in vars(klass)), None)


def _checks_arguments(store: object) -> bool:
    """Whether ``store`` refuses bad argument types of the protocol calls itself.

    True, while kv's runtime type checks are on, for the wrappers of this
    package (each of their calls is checked, or passed to a store that checks
    it) and for kv stores whose protocol methods all have kv's runtime check.
    Anything else (a subclass of a wrapper written elsewhere, a store from
    another library) is not trusted to: a wrapper over it checks for itself.
    """
    if not typecheck_enabled():
        return False
    if isinstance(store, BaseWrapper):
        wrapper = type(store)
        return (wrapper._variant_of or wrapper).__module__.startswith(f"{__package__}.")
    kind = type(store)
    if isinstance(store, BaseStore):
        return all(
            getattr(vars(defined_by(kind, name) or object).get(name), "__wrapped__", None)
            is not None
            for name in _PROTOCOL_CALLS
        )
    return False


# --- the protocol calls without a check of their own (see _direct_methods) ----------

_PROTOCOL_CALLS = ("get", "ttl", "put", "delete", "get_many", "ttl_many", "put_many", "delete_many")
PROTOCOL_CALLS = _PROTOCOL_CALLS
"""The eight calls of :class:`kv.AsyncKeyValue`."""

READ_CALLS = ("get", "ttl", "get_many", "ttl_many")
"""The protocol calls that only read."""

WRITE_CALLS = ("put", "delete", "put_many", "delete_many")
"""The protocol calls that write."""

W = TypeVar("W", bound="type[BaseWrapper]")


def protocol_calls(
    body: Sequence[str],
    *,
    calls: Sequence[str] = _PROTOCOL_CALLS,
    names: Mapping[str, object] | None = None,
    doc: str = "",
) -> Callable[[W], W]:
    """A class decorator giving a wrapper the protocol ``calls``, all with one ``body``.

    For a wrapper that treats those calls alike (retry them, fall back on
    another store): each method has the protocol's exact signature and kv's
    runtime check, and runs ``body``, source lines in which ``{name}`` is the
    call's name and ``{rest}`` its arguments passed on as they came::

        @protocol_calls(["return await self._around(lambda: self.key_value.{name}({rest}))"])
        class AroundWrapper(BaseWrapper): ...

    ``names`` are objects the body uses by name; ``doc`` is added to each
    method's docstring. The code is compiled once per call, when the class is
    made, so a call costs what the same method written out would.
    """

    def decorate(cls: W) -> W:
        for name in calls:
            checked = vars(BaseWrapper)[name]
            protocol_method: Callable[..., Any] = getattr(checked, "__wrapped__", checked)
            lines = [line.replace("{name}", name) for line in body]
            method = with_signature_of(
                protocol_method, lines, dict(names or {}), purpose=f"{cls.__name__} call"
            )
            method.__qualname__ = f"{cls.__qualname__}.{name}"
            method.__doc__ = f"{protocol_method.__doc__} {doc}".strip()
            setattr(cls, name, typechecked(method))
        return cls

    return decorate


_NAMES_THIS_WRAPPER = [
    "except _kv_argument_type_error_ as error:  # the wrapped store checked the arguments",
    "    error.store = self._store_name()",
    "    raise",
]
"""The handler every unchecked call ends with: a refused argument names this wrapper."""


@functools.cache
def _passed_on(name: str) -> Callable[..., Any]:
    """``BaseWrapper``'s method ``name``, passing its arguments straight to ``key_value``."""
    checked = vars(BaseWrapper)[name]
    method: Callable[..., Any] = getattr(checked, "__wrapped__", checked)
    body = ["try:", f"    return await self.key_value.{name}({{rest}})", *_NAMES_THIS_WRAPPER]
    return with_signature_of(method, body, _HANDLER_NAMES, purpose="pass-through")


def _unchecked(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` without a check of its own; a refused argument names the wrapper."""
    body = ["try:", "    return await _kv_func_({all})", *_NAMES_THIS_WRAPPER]
    return with_signature_of(method, body, _HANDLER_NAMES, purpose="unchecked call")


_HANDLER_NAMES: dict[str, object] = {"_kv_argument_type_error_": ArgumentTypeError}


# --- the methods a wrapper gains for each capability it offers ----------------------


class _KeysPassThrough:
    @typechecked
    async def keys(self, collection: str | None = None, *, limit: int | None = None) -> list[str]:
        """Return the keys of ``collection`` (all when ``limit`` is ``None``)."""
        return await collect_names(self.iter_keys(collection), check_limit(limit))

    async def iter_keys(
        self, collection: str | None = None, *, page_size: int | None = None
    ) -> AsyncGenerator[str, None]:
        """Walk every key of ``collection``."""
        walk = cast(BaseWrapper, self)._pass_iter_keys(collection, page_size)
        try:
            async for key in walk:
                yield key
        finally:
            await close_walk(walk)


class _CollectionsPassThrough:
    @typechecked
    async def collections(self, *, limit: int | None = None) -> list[str]:
        """Return the collection names (all when ``limit`` is ``None``)."""
        return await collect_names(self.iter_collections(), check_limit(limit))

    async def iter_collections(self, *, page_size: int | None = None) -> AsyncGenerator[str, None]:
        """Walk every collection name."""
        walk = cast(BaseWrapper, self)._pass_iter_collections(page_size)
        try:
            async for name in walk:
                yield name
        finally:
            await close_walk(walk)


class _DestroyPassThrough:
    async def destroy(self) -> bool:
        """Delete everything the wrapped store holds (through this wrapper's view)."""
        return await cast(BaseWrapper, self)._pass_destroy()


class _DestroyCollectionPassThrough:
    async def destroy_collection(self, collection: str) -> bool:
        """Delete every entry of ``collection``."""
        return await cast(BaseWrapper, self)._pass_destroy_collection(collection)


class _CullPassThrough:
    async def cull(self) -> int:
        """Reclaim expired entries in the wrapped store."""
        return await cast(BaseWrapper, self)._pass_cull()


def _atomic_pass_through(name: str) -> Callable[..., Any]:
    """The protocol method ``name`` of :class:`~kv.atomic.AtomicKeyValue`, checked, that
    calls the wrapper's hook ``_pass_<name>`` with the same arguments."""
    protocol_method: Callable[..., Any] = getattr(AtomicKeyValue, name)
    body = [f"return await self._pass_{name}({{rest}})"]
    return typechecked(with_signature_of(protocol_method, body, {}, purpose="atomic pass-through"))


_AtomicPassThrough = type(
    "_AtomicPassThrough",
    (),
    {name: _atomic_pass_through(name) for name in ATOMIC_OPERATIONS},
)
"""The atomic operations, each passed to its ``_pass_*`` hook (the hooks take the
protocol's parameters, by the same names)."""


_MIXINS: dict[str, type] = {
    "enumerate_keys": _KeysPassThrough,
    "enumerate_collections": _CollectionsPassThrough,
    "destroy": _DestroyPassThrough,
    "destroy_collection": _DestroyCollectionPassThrough,
    "cull": _CullPassThrough,
    "atomic": _AtomicPassThrough,
}


_VARIANTS: dict[tuple[type[BaseWrapper], frozenset[str], bool], type[BaseWrapper]] = {}


def _direct_methods(base: type[BaseWrapper]) -> dict[str, Callable[..., Any]]:
    """The protocol methods of ``base`` without a check of their own arguments.

    Those it passes on unchanged (:meth:`BaseWrapper._delegates`), and those its
    class (or a subclass of the class defining the method) declares in
    ``_hands_arguments_on``: the same method, without its runtime check. A
    subclass that overrides one below the declaration keeps its own, checked.
    """
    methods = {name: _passed_on(name) for name in base._delegates()}
    declarer = defined_by(base, "_hands_arguments_on")
    for name in base._hands_arguments_on:
        if name in methods or declarer is None or defined_by(base, name) not in declarer.__mro__:
            continue  # overridden below the class that declared it: keep the checked one
        owner = defined_by(base, name)
        unchecked = getattr(vars(owner).get(name), "__wrapped__", None) if owner else None
        if unchecked is not None:
            methods[name] = _unchecked(unchecked)
    return methods


def _variant(
    base: type[BaseWrapper], operations: frozenset[str], direct: bool
) -> type[BaseWrapper]:
    """``base`` plus the pass-through methods of ``operations`` (cached per triple).

    ``direct``: the protocol calls ``base`` passes on unchanged go straight to
    the wrapped store (see :func:`_checks_arguments`).
    """
    cached = _VARIANTS.get((base, operations, direct))
    if cached is not None:
        return cached
    mixins = tuple(_MIXINS[flag] for flag in OPTIONAL_OPERATIONS if flag in operations)
    direct_methods = _direct_methods(base) if direct else {}
    if not mixins and not direct_methods:
        return base
    namespace: dict[str, Any] = {
        "__module__": base.__module__,
        "__qualname__": base.__qualname__,
        "_variant_of": base,
        **direct_methods,
    }
    variant = type(base.__name__, (*mixins, base), namespace)
    _VARIANTS[(base, operations, direct)] = cast(type[BaseWrapper], variant)
    return _VARIANTS[(base, operations, direct)]
