"""Conformance hooks: how the suite damages an entry or reopens a store, per plugin.

Two tests of the suite have to reach behind a store's back:

* ``test_corrupt_entry_raises_deserialization_error`` overwrites one stored
  entry with bytes that are not a valid entry, directly in the backend;
* ``test_persistent_store_keeps_data_across_objects`` opens a second store
  object on the same location as the first.

Only the plugin knows how to damage an entry: it offers that through one
object in its own package that implements :class:`ConformanceHooks`, named by
its declaration::

    PLUGIN = StorePlugin(...)  # kv_disk.conformance:HOOKS, found by its name

Reopening needs no code for a store built on the plugin kit: by default the
suite builds ``type(store)(store.options)`` (see :func:`reopen_with_options`),
with or without hooks. The hooks object may still have a ``reopen_store``
method (see :class:`ConformanceHooks`), which is then used instead.

The suite then runs both tests for every store of the plugin: in the plugin's
own ``StoreConformance`` subclass, with ``pytest --kv-url URL`` and with
``kv check URL``. The hooks module is imported only when one of the two
tests runs.

The scheme is the URL's under ``--kv-url``. For a store a test class built
itself, it is the scheme whose declaration names the store's class (or a
base class of it), else the scheme equal to the class's ``store_name``,
unless the test class sets ``kv_scheme``.

Hooks that cannot be loaded, an object without an async ``corrupt_entry``,
or a ``reopen_store`` that is not async raise :class:`ConformanceHookError`
(the test fails). A plugin that declares none has its corruption test
skipped, with that reason; its persistence test is skipped only when the
store has no options to be reopened with either.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

import kv
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = [
    "ConformanceHookError",
    "ConformanceHooks",
    "HookLookup",
    "ReopenHook",
    "find_hooks",
    "hooks_for_scheme",
    "options_reopen_problem",
    "reopen_hook",
    "reopen_with_options",
    "schemes_of_store_type",
    "store_of_type",
]

S = TypeVar("S")


@runtime_checkable
class ConformanceHooks(Protocol):
    """What the suite needs from a plugin to test damaged data (and, maybe, persistence).

    Implement it in the plugin's package (``kv_<backend>/conformance.py``),
    importing only what the plugin already depends on, and name the object
    in the plugin's declaration (see the module docs).

    The object may also have an optional method, which the protocol cannot
    spell (see :data:`ReopenHook`)::

        async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None

    It returns a new store object on the same location as ``store``, with the
    same options, or ``None`` if none can be made (the test is then skipped,
    saying so). It is called after ``store`` was closed, for stores that
    declare ``persistent``; the suite closes the new store when it is done.
    Without it the suite reopens with :func:`reopen_with_options`, which is
    all a store built on the plugin kit needs: give it only for a store whose
    options alone do not name its location.

    Every method runs in the test's event loop (asyncio or trio).
    """

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the stored entry of ``key`` with bytes that are not a valid entry.

        Write to the backend directly (a raw connection, the client library, the
        file), never through the store's API. The store must afterwards raise
        :class:`kv.DeserializationError` reading ``key``, keep other keys
        readable, and repair the entry on the next ``put``.

        Returns:
            ``True`` once the entry is damaged; ``False`` if it cannot be
            damaged (the test is then skipped, saying so).
        """
        ...


ReopenHook = Callable[[kv.AsyncKeyValue], Awaitable["kv.AsyncKeyValue | None"]]
"""The optional ``reopen_store`` method of :class:`ConformanceHooks`, bound."""


def store_of_type(store: object, kind: type[S]) -> S:
    """``store``, which a plugin's hooks were given, as the plugin's own store class.

    Raises:
        TypeError: ``store`` is of another class (the hooks of one plugin were
            given another plugin's store).
    """
    if not isinstance(store, kind):
        raise TypeError(
            f"the conformance hooks of {kind.__name__} were given a {type(store).__name__}"
        )
    return store


def reopen_hook(hooks: ConformanceHooks | None) -> ReopenHook | None:
    """The hooks' own ``reopen_store`` method, or ``None`` if they have none."""
    method = getattr(hooks, "reopen_store", None)
    return None if method is None else cast("ReopenHook", method)


def options_reopen_problem(store: object) -> str | None:
    """Why :func:`reopen_with_options` cannot reopen ``store``, or ``None`` if it can.

    It can when ``store.options`` is a :class:`kv.options.CommonOptions`
    (what the plugin kit's ``BaseStore`` keeps), of the class's ``Options``
    when the class declares one.
    """
    name = type(store).__name__
    options = getattr(store, "options", None)
    if not isinstance(options, CommonOptions):
        return f"{name} keeps no options object to reopen it with (store.options)"
    declared = getattr(type(store), "Options", None)
    if isinstance(declared, type) and not isinstance(options, declared):
        shown = type(options).__name__
        return f"{name}.options is a {shown}, not the {declared.__name__} its class takes"
    return None


def reopen_with_options(store: object) -> kv.AsyncKeyValue | None:
    """The default ``reopen_store``: ``type(store)(store.options)``.

    Returns:
        The new store, or ``None`` if the store keeps no options its class
        takes (:func:`options_reopen_problem` says why).

    Raises:
        ConformanceHookError: the class refuses its own options (its
            constructor takes something else; give the plugin's hooks a
            ``reopen_store``).
    """
    if options_reopen_problem(store) is not None:
        return None
    store_class: type[Any] = type(store)
    name = store_class.__name__
    try:
        reopened = store_class(getattr(store, "options"))  # noqa: B009 - checked above
    except TypeError as error:
        message = (
            f"Cannot reopen a {name} as {name}(store.options): {error}; give its"
            " plugin's conformance hooks a reopen_store() (see"
            " kv_conformance.hooks.ConformanceHooks)"
        )
        raise ConformanceHookError(message) from error
    return cast("kv.AsyncKeyValue", reopened)


class ConformanceHookError(RuntimeError):
    """A plugin's conformance hooks cannot be loaded, or are not usable.

    Raised (and so failing the test) instead of skipping: a plugin that
    registers hooks means the tests to run. Also raised when a store's class
    refuses its own ``store.options`` (see :func:`reopen_with_options`).
    """


@dataclass(frozen=True)
class HookLookup:
    """The outcome of :func:`find_hooks`.

    Attributes:
        hooks: The hooks found, or ``None``.
        description: Where they come from (``"'disk' hooks of kv-disk
            (kv_disk.conformance:HOOKS)"``), or why there are none (for skip
            reasons).
    """

    hooks: ConformanceHooks | None
    description: str


def _load(scheme: str, plugin: StorePlugin) -> ConformanceHooks | None:
    where = f"conformance hooks of the {scheme!r} plugin ({plugin.conformance_hooks})"
    try:
        loaded = plugin.load_conformance()
    except kv.KeyValueError as error:
        raise ConformanceHookError(f"Cannot load the {where}: {error}") from error
    if loaded is None:
        return None
    if isinstance(loaded, type):
        loaded = loaded()
    if not isinstance(loaded, ConformanceHooks) or not inspect.iscoroutinefunction(
        loaded.corrupt_entry
    ):
        message = (
            f"The {where} has no async corrupt_entry() (see kv_conformance.hooks.ConformanceHooks)"
        )
        raise ConformanceHookError(message)
    reopen = getattr(loaded, "reopen_store", None)
    if reopen is not None and not inspect.iscoroutinefunction(reopen):
        message = (
            f"The {where} has a reopen_store() that is not async"
            " (see kv_conformance.hooks.ConformanceHooks)"
        )
        raise ConformanceHookError(message)
    return loaded


@functools.cache
def _lookup_scheme(scheme: str) -> HookLookup:
    from kv.discovery import registry

    try:
        plugin = registry.resolve(scheme)
    except kv.KeyValueError as error:
        return HookLookup(None, f"the {scheme!r} plugin cannot be found: {error}")
    hooks = _load(scheme, plugin)
    if hooks is None:
        return HookLookup(None, f"the {scheme!r} plugin declares no conformance hooks")
    origin = registry.origin(scheme)
    return HookLookup(hooks, f"the {scheme!r} hooks of {origin} ({plugin.conformance_hooks})")


def hooks_for_scheme(scheme: str) -> ConformanceHooks | None:
    """The conformance hooks the plugin serving ``scheme`` declares, or ``None``.

    Raises:
        ConformanceHookError: the declared object cannot be imported or does
            not implement :class:`ConformanceHooks`.
    """
    return _lookup_scheme(scheme.lower()).hooks


_TYPE_SCHEMES: dict[type[Any], tuple[str, ...]] = {}


def schemes_of_store_type(store_type: type[Any]) -> tuple[str, ...]:
    """The schemes whose plugin's store class is ``store_type`` or its nearest base.

    Matches each declaration's ``store`` (``"kv_disk.store:DiskStore"``)
    against the classes of ``store_type``'s MRO, most specific first; failing
    that, a class whose ``store_name`` is a registered scheme counts. Loads
    the light declarations (as ``kv plugins`` does), never a client library.
    """
    cached = _TYPE_SCHEMES.get(store_type)
    if cached is not None:
        return cached
    from kv.discovery import registry

    declared = [
        (info.scheme, tuple(part.strip() for part in info.plugin.store.partition(":")[::2]))
        for info in registry.plugins()
        if info.plugin is not None
    ]
    found: tuple[str, ...] = ()
    for klass in store_type.__mro__:
        name = (klass.__module__, klass.__qualname__)
        found = tuple(scheme for scheme, target in declared if target == name)
        if found:
            break
    if not found:
        registered = {scheme for scheme, _ in declared}
        for klass in store_type.__mro__:
            store_name = klass.__dict__.get("store_name")
            if isinstance(store_name, str) and store_name in registered:
                found = (store_name,)
                break
    _TYPE_SCHEMES[store_type] = found
    return found


def find_hooks(store: object, *, scheme: str | None = None) -> HookLookup:
    """The conformance hooks for ``store``: by ``scheme`` if given, else by its class.

    Args:
        store: The store under test.
        scheme: The URL scheme the store was opened with, if known (``--kv-url``).

    Raises:
        ConformanceHookError: see :func:`hooks_for_scheme`.
    """
    if scheme is not None:
        found = _lookup_scheme(scheme.lower())
        if found.hooks is not None:
            return found
    schemes = schemes_of_store_type(type(store))
    for candidate in schemes:
        found = _lookup_scheme(candidate)
        if found.hooks is not None:
            return found
    tried = ([scheme.lower()] if scheme is not None else []) + [
        s for s in schemes if s != (scheme or "").lower()
    ]
    if tried:
        names = ", ".join(repr(s) for s in tried)
        reason = (
            f"the plugin of {names} declares none (StorePlugin.conformance; see"
            " 'Conformance hooks' in docs/plugin-authors.md)"
        )
    else:
        reason = (
            f"no kv.stores plugin builds {type(store).__qualname__}, so no"
            " conformance hooks apply (set kv_scheme on the test class, or"
            " override corrupt_entry() and reopen_store())"
        )
    return HookLookup(None, f"no conformance hooks for this store: {reason}")
