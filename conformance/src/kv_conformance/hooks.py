"""Conformance hooks: how the suite damages an entry or reopens a store, per plugin.

Two tests of the suite have to reach behind a store's back, which only its
plugin knows how to do:

* ``test_corrupt_entry_raises_deserialization_error`` overwrites one stored
  entry with bytes that are not a valid entry, directly in the backend;
* ``test_persistent_store_keeps_data_across_objects`` opens a second store
  object on the same location as the first.

A plugin offers both through one object in its own package that implements
:class:`ConformanceHooks`, registered in the ``kv.conformance`` entry-point
group under each URL scheme it serves (the entry-point name is the scheme, as
in ``kv.stores``)::

    [project.entry-points."kv.conformance"]
    disk = "kv_disk.conformance:HOOKS"

The suite then runs both tests for every store of the plugin: in the plugin's
own ``StoreConformance`` subclass, with ``pytest --kv-url URL`` and with
``kv check URL``. Lookups are lazy and by name: only the module registered
for the store's scheme is imported, and only when one of the two tests runs.

The scheme is the URL's under ``--kv-url``. For a store a test class built
itself, it is the scheme whose ``kv.stores`` factory builds the store's class
(or a base class of it), else the scheme equal to the class's ``store_name``,
unless the test class sets ``kv_scheme``.

A registration that cannot be loaded, or names an object without both
methods, raises :class:`ConformanceHookError` (the test fails): only a plugin
that registers nothing has its two tests skipped, with that reason.
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol, runtime_checkable

import kv

__all__ = [
    "ENTRY_POINT_GROUP",
    "ConformanceHookError",
    "ConformanceHooks",
    "HookLookup",
    "find_hooks",
    "hooks_for_scheme",
    "schemes_of_store_type",
]

ENTRY_POINT_GROUP = "kv.conformance"
"""The entry-point group in which plugins register their :class:`ConformanceHooks`."""


@runtime_checkable
class ConformanceHooks(Protocol):
    """What the suite needs from a plugin to test damaged data and persistence.

    Implement it in the plugin's package (``kv_<backend>/conformance.py``),
    importing only what the plugin already depends on, and register the
    object in the ``kv.conformance`` entry-point group (see the module docs).
    Both methods run in the test's event loop (asyncio or trio).
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

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same location as ``store``, with the same options.

        Called after ``store`` was closed, for stores that declare
        ``persistent``. The suite closes the new store when it is done.

        Returns:
            The new store, or ``None`` if none can be made (the test is then
            skipped, saying so).
        """
        ...


class ConformanceHookError(RuntimeError):
    """A ``kv.conformance`` entry point cannot be loaded, or its object is not usable.

    Raised (and so failing the test) instead of skipping: a plugin that
    registers hooks means the tests to run.
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


def _normalize(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution.strip()).lower()


def _distribution(entry_point: EntryPoint) -> str:
    dist = entry_point.dist
    if dist is None:
        return "<unknown distribution>"
    name: str = dist.metadata["Name"] or dist.name
    return name


def _registered(scheme: str) -> list[EntryPoint]:
    """The distinct ``kv.conformance`` entry points named ``scheme``."""
    found: dict[tuple[str, str], EntryPoint] = {}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP, name=scheme):
        found.setdefault((_normalize(_distribution(entry_point)), entry_point.value), entry_point)
    return list(found.values())


def _pick(scheme: str, candidates: list[EntryPoint]) -> EntryPoint:
    """One of several registrations: the one of the distribution serving ``scheme``."""
    if len(candidates) == 1:
        return candidates[0]
    from kv.discovery import registry

    try:
        origin = _normalize(registry.origin(scheme))
    except kv.KeyValueError:
        origin = ""
    chosen = [ep for ep in candidates if _normalize(_distribution(ep)) == origin]
    if len(chosen) == 1:
        return chosen[0]
    listed = ", ".join(f"{_distribution(ep)} ({ep.value})" for ep in candidates)
    message = (
        f"Several distributions register {ENTRY_POINT_GROUP} hooks for {scheme!r}: {listed};"
        " none of them is the distribution that serves the scheme"
    )
    raise ConformanceHookError(message)


def _load(scheme: str, entry_point: EntryPoint) -> ConformanceHooks:
    where = f"{ENTRY_POINT_GROUP} entry point {scheme!r} of {_distribution(entry_point)}"
    try:
        loaded: object = entry_point.load()
    except Exception as error:
        message = f"Cannot load the {where} ({entry_point.value}): {error}"
        raise ConformanceHookError(message) from error
    if isinstance(loaded, type):
        loaded = loaded()
    if not isinstance(loaded, ConformanceHooks) or not all(
        inspect.iscoroutinefunction(getattr(loaded, name))
        for name in ("corrupt_entry", "reopen_store")
    ):
        message = (
            f"The {where} names {entry_point.value}, which has no async corrupt_entry()"
            " and reopen_store() (see kv_conformance.hooks.ConformanceHooks)"
        )
        raise ConformanceHookError(message)
    return loaded


@functools.cache
def _lookup_scheme(scheme: str) -> HookLookup:
    candidates = _registered(scheme)
    if not candidates:
        return HookLookup(None, f"no {ENTRY_POINT_GROUP} entry point is named {scheme!r}")
    entry_point = _pick(scheme, candidates)
    hooks = _load(scheme, entry_point)
    where = f"the {scheme!r} hooks of {_distribution(entry_point)} ({entry_point.value})"
    return HookLookup(hooks, where)


def hooks_for_scheme(scheme: str) -> ConformanceHooks | None:
    """The hooks registered for the URL scheme ``scheme``, or ``None``.

    Raises:
        ConformanceHookError: the registered object cannot be imported or does
            not implement :class:`ConformanceHooks`, or two distributions
            register the scheme and neither serves it.
    """
    return _lookup_scheme(scheme.lower()).hooks


def _factory_targets(factory: str) -> set[tuple[str, str]]:
    """``(module, qualname)`` pairs a ``"module:Class.method"`` factory may build."""
    module, _, attribute = factory.partition(":")
    module, attribute = module.strip(), attribute.strip()
    targets = {(module, attribute)}
    if "." in attribute:
        targets.add((module, attribute.rpartition(".")[0]))
    return targets


_TYPE_SCHEMES: dict[type[Any], tuple[str, ...]] = {}


def schemes_of_store_type(store_type: type[Any]) -> tuple[str, ...]:
    """The schemes whose ``kv.stores`` factory builds ``store_type`` or its nearest base.

    Matches each registered factory (``"kv_disk.store:DiskStore.from_url"``)
    against the classes of ``store_type``'s MRO, most specific first. A factory
    that is a function names no class: then a class whose ``store_name`` is a
    registered scheme counts. Imports the light plugin modules (as ``kv
    plugins`` does), never a client library.
    """
    cached = _TYPE_SCHEMES.get(store_type)
    if cached is not None:
        return cached
    from kv.discovery import registry

    declared = [
        (info.scheme, _factory_targets(info.plugin.factory))
        for info in registry.plugins()
        if info.plugin is not None
    ]
    found: tuple[str, ...] = ()
    for klass in store_type.__mro__:
        name = (klass.__module__, klass.__qualname__)
        found = tuple(scheme for scheme, targets in declared if name in targets)
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
            f"no {ENTRY_POINT_GROUP} entry point is named {names} (its plugin registers"
            " none; see 'Conformance hooks' in docs/plugin-authors.md)"
        )
    else:
        reason = (
            f"no kv.stores plugin builds {type(store).__qualname__}, so no"
            f" {ENTRY_POINT_GROUP} hooks apply (set kv_scheme on the test class, or"
            " override corrupt_entry() and reopen_store())"
        )
    return HookLookup(None, f"no conformance hooks for this store: {reason}")
