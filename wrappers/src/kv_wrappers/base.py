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
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Literal, SupportsFloat, cast

import kv
from kv._typecheck import typecheck_enabled, typechecked
from kv.atomic import AtomicKeyValue, Versioned
from kv.capabilities import OPTIONAL_OPERATIONS, Capabilities
from kv.errors import ArgumentTypeError, UnsupportedOperationError
from kv.protocols import OPTIONAL_PROTOCOLS
from kv.store import BaseStore, check_limit, collect_names

__all__ = ["BaseWrapper", "capabilities_of", "close_walk", "defined_by"]

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
    a wrapped store before doing anything else, and names this wrapper in an
    ``ArgumentTypeError`` it passes on: over stores that check their arguments, the
    wrapper uses the method without its own runtime check."""

    _variant_of: ClassVar[type[BaseWrapper] | None] = None

    def __init__(self, key_value: kv.AsyncKeyValue) -> None:
        self.key_value = key_value
        self._offer_capabilities()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} over {self.key_value!r}>"

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
        atomic = cast(AtomicKeyValue, self.key_value)
        return await atomic.put_if_absent(key, value, collection=collection, ttl=ttl)

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Versioned | None:
        return await cast(AtomicKeyValue, self.key_value).get_versioned(key, collection=collection)

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        atomic = cast(AtomicKeyValue, self.key_value)
        return await atomic.put_if_version(key, value, version, collection=collection, ttl=ttl)

    async def _pass_delete_if_version(self, key: str, version: str, collection: str | None) -> bool:
        atomic = cast(AtomicKeyValue, self.key_value)
        return await atomic.delete_if_version(key, version, collection=collection)


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


# --- the protocol calls passed straight on (see _delegates), without a check of their own ---


async def _get(
    self: BaseWrapper, key: str, *, collection: str | None = None
) -> dict[str, Any] | None:
    """Return the value of ``key`` from the wrapped store."""
    try:
        return await self.key_value.get(key, collection=collection)
    except ArgumentTypeError as error:
        error.store = self._store_name()
        raise


async def _ttl(
    self: BaseWrapper, key: str, *, collection: str | None = None
) -> tuple[dict[str, Any] | None, float | None]:
    """Return ``(value, remaining seconds)`` from the wrapped store."""
    try:
        return await self.key_value.ttl(key, collection=collection)
    except ArgumentTypeError as error:
        error.store = self._store_name()
        raise


async def _put(
    self: BaseWrapper,
    key: str,
    value: Mapping[str, Any],
    *,
    collection: str | None = None,
    ttl: SupportsFloat | None = None,
) -> None:
    """Store ``value`` in the wrapped store."""
    try:
        await self.key_value.put(key, value, collection=collection, ttl=ttl)
    except ArgumentTypeError as error:
        error.store = self._store_name()
        raise


async def _delete(self: BaseWrapper, key: str, *, collection: str | None = None) -> bool:
    """Delete ``key`` from the wrapped store."""
    try:
        return await self.key_value.delete(key, collection=collection)
    except ArgumentTypeError as error:
        error.store = self._store_name()
        raise


async def _get_many(
    self: BaseWrapper, keys: Sequence[str], *, collection: str | None = None
) -> list[dict[str, Any] | None]:
    """Return the values of ``keys`` from the wrapped store, in order."""
    try:
        return await self.key_value.get_many(keys, collection=collection)
    except ArgumentTypeError as error:
        error.store = self._store_name()
        raise


async def _ttl_many(
    self: BaseWrapper, keys: Sequence[str], *, collection: str | None = None
) -> list[tuple[dict[str, Any] | None, float | None]]:
    """Return ``(value, remaining seconds)`` for each key, in order."""
    try:
        return await self.key_value.ttl_many(keys, collection=collection)
    except ArgumentTypeError as error:
        error.store = self._store_name()
        raise


async def _put_many(
    self: BaseWrapper,
    keys: Sequence[str],
    values: Sequence[Mapping[str, Any]],
    *,
    collection: str | None = None,
    ttl: SupportsFloat | None = None,
) -> None:
    """Store several values in the wrapped store."""
    try:
        await self.key_value.put_many(keys, values, collection=collection, ttl=ttl)
    except ArgumentTypeError as error:
        error.store = self._store_name()
        raise


async def _delete_many(
    self: BaseWrapper, keys: Sequence[str], *, collection: str | None = None
) -> int:
    """Delete ``keys`` from the wrapped store; return how many existed."""
    try:
        return await self.key_value.delete_many(keys, collection=collection)
    except ArgumentTypeError as error:
        error.store = self._store_name()
        raise


_DIRECT: dict[str, Callable[..., Any]] = {
    "get": _get,
    "ttl": _ttl,
    "put": _put,
    "delete": _delete,
    "get_many": _get_many,
    "ttl_many": _ttl_many,
    "put_many": _put_many,
    "delete_many": _delete_many,
}
_PROTOCOL_CALLS = tuple(_DIRECT)


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


class _AtomicPassThrough:
    @typechecked
    async def put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> bool:
        """Store ``value`` only if ``key`` has no live entry; return whether it did."""
        return await cast(BaseWrapper, self)._pass_put_if_absent(key, value, collection, ttl)

    @typechecked
    async def get_versioned(self, key: str, *, collection: str | None = None) -> Versioned | None:
        """Return the value, TTL and version of ``key``, or ``None`` if absent or expired."""
        return await cast(BaseWrapper, self)._pass_get_versioned(key, collection)

    @typechecked
    async def put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> bool:
        """Store ``value`` only if ``key``'s entry still has ``version``; return whether it did."""
        wrapper = cast(BaseWrapper, self)
        return await wrapper._pass_put_if_version(key, value, version, collection, ttl)

    @typechecked
    async def delete_if_version(
        self, key: str, version: str, *, collection: str | None = None
    ) -> bool:
        """Delete ``key`` only if its entry still has ``version``; return whether it did."""
        return await cast(BaseWrapper, self)._pass_delete_if_version(key, version, collection)


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
    methods: dict[str, Callable[..., Any]] = {name: _DIRECT[name] for name in base._delegates()}
    declarer = defined_by(base, "_hands_arguments_on")
    for name in base._hands_arguments_on:
        if name in methods or declarer is None or defined_by(base, name) not in declarer.__mro__:
            continue  # overridden below the class that declared it: keep the checked one
        owner = defined_by(base, name)
        unchecked = getattr(vars(owner).get(name), "__wrapped__", None) if owner else None
        if unchecked is not None:
            methods[name] = unchecked
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
