"""Finding the plugin for a URL scheme.

Plugins are found through the ``kv.stores`` entry-point group, where each
entry point's name is a URL scheme and its value a light plugin module (see
:mod:`kv.plugin`). Lookups are lazy and by name: opening ``redis://`` reads
the entry-point metadata, imports only the module registered as ``redis`` and,
when the store is built, its factory. Listing plugins imports the light
modules, never a client library.

Failures are isolated: a plugin module that cannot be imported breaks only
the schemes it serves, with :class:`~kv.errors.PluginLoadError`.

When two distributions claim one scheme, opening it raises
:class:`~kv.errors.PluginConflictError` naming both, unless a choice was made,
either with :meth:`PluginRegistry.prefer` or with an environment variable
``KV_PLUGIN_<SCHEME>=<distribution>`` (scheme upper-cased, every character
other than a letter or digit replaced by ``_``: ``KV_PLUGIN_REDIS_CLUSTER``).

``KV_DISABLE_PLUGINS`` (comma-separated distribution names) hides plugins.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from kv._entry_points import FoundEntryPoint, scan_group
from kv.errors import PluginConflictError, PluginLoadError, UnknownSchemeError
from kv.plugin import StorePlugin

if TYPE_CHECKING:
    import pluggy

EntryPoint = FoundEntryPoint

__all__ = ["ENTRY_POINT_GROUP", "KNOWN_PLUGINS", "PluginInfo", "PluginRegistry", "registry"]

ENTRY_POINT_GROUP = "kv.stores"

KNOWN_PLUGINS: dict[str, str] = {
    "redis": "kv-redis",
    "rediss": "kv-redis",
    "redis+unix": "kv-redis",
    "redis+cluster": "kv-redis",
    "valkey": "kv-valkey",
    "valkeys": "kv-valkey",
    "valkey+cluster": "kv-valkey",
    "memcached": "kv-memcached",
    "postgresql": "kv-postgresql",
    "postgres": "kv-postgresql",
    "disk": "kv-disk",
    "file": "kv-filetree",
    "rocksdb": "kv-rocksdb",
    "duckdb": "kv-duckdb",
    "chdb": "kv-chdb",
    "keyring": "kv-keyring",
    "winreg": "kv-windows-registry",
    "dynamodb": "kv-dynamodb",
    "s3": "kv-s3",
    "mongodb": "kv-mongodb",
    "elasticsearch": "kv-elasticsearch",
    "opensearch": "kv-opensearch",
    "vault": "kv-vault",
    "aerospike": "kv-aerospike",
    "firestore": "kv-firestore",
}
"""First-party schemes and the distribution to install for each (for error hints)."""

_LOCAL = "<registered in this process>"


@dataclass(frozen=True)
class PluginInfo:
    """One scheme as ``kv plugins`` shows it."""

    scheme: str
    distribution: str
    version: str
    plugin: StorePlugin | None
    error: str | None = None


def _env_name(scheme: str) -> str:
    return "KV_PLUGIN_" + re.sub(r"[^A-Za-z0-9]", "_", scheme).upper()


def _distribution_of(entry_point: EntryPoint) -> tuple[str, str]:
    return entry_point.distribution, entry_point.version


def _scan_with_importlib(group: str, scheme: str) -> list[FoundEntryPoint]:
    """The slow, complete lookup, used only when the fast scan finds nothing."""
    from importlib.metadata import entry_points

    found = []
    for entry_point in entry_points(group=group, name=scheme):
        dist = entry_point.dist
        name = (dist.metadata["Name"] or dist.name) if dist is not None else "<unknown>"
        version = dist.version if dist is not None else ""
        found.append(FoundEntryPoint(entry_point.name, entry_point.value, name, version))
    return found


def _disabled() -> frozenset[str]:
    text = os.environ.get("KV_DISABLE_PLUGINS", "")
    return frozenset(_normalize(part) for part in text.split(",") if part.strip())


def _normalize(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution.strip()).lower()


class PluginRegistry:
    """Resolves URL schemes to store plugins (see the module docs).

    Most code uses the shared :data:`registry` through :func:`kv.connect`.
    """

    def __init__(self, group: str = ENTRY_POINT_GROUP) -> None:
        self.group = group
        self._lock = threading.RLock()
        self._local: dict[str, StorePlugin] = {}
        self._resolved: dict[str, tuple[StorePlugin, str]] = {}
        self._preferred: dict[str, str] = {}
        self._manager: pluggy.PluginManager | None = None
        self._scanned: list[FoundEntryPoint] | None = None

    # --- registration in code --------------------------------------------------

    def register(self, plugin: StorePlugin, *, replace: bool = False) -> None:
        """Register a plugin in this process (for applications and tests).

        Raises:
            PluginConflictError: a scheme is already registered in this process
                and ``replace`` is false.
        """
        with self._lock:
            for scheme in plugin.schemes:
                if scheme in self._local and not replace:
                    raise PluginConflictError(
                        f"Scheme {scheme!r} is already registered in this process;"
                        " pass replace=True to override it"
                    )
            for scheme in plugin.schemes:
                self._local[scheme] = plugin
                self._resolved.pop(scheme, None)

    def unregister(self, scheme: str) -> None:
        """Forget a scheme registered with :meth:`register` and any cached lookup."""
        with self._lock:
            self._local.pop(scheme, None)
            self._resolved.pop(scheme, None)

    def prefer(self, scheme: str, distribution: str) -> None:
        """Choose which distribution serves ``scheme`` when several claim it."""
        with self._lock:
            self._preferred[scheme] = _normalize(distribution)
            self._resolved.pop(scheme, None)

    # --- lookup ------------------------------------------------------------------

    def refresh(self) -> None:
        """Forget every lookup, so distributions installed since are seen."""
        with self._lock:
            self._scanned = None
            self._resolved.clear()

    def _entry_points(self, scheme: str | None = None) -> list[EntryPoint]:
        if self._scanned is None:
            self._scanned = scan_group(self.group)
        found = [ep for ep in self._scanned if scheme is None or ep.name == scheme]
        if scheme is not None and not found:
            found = _scan_with_importlib(self.group, scheme)
        disabled = _disabled()
        unique: dict[tuple[str, str, str], EntryPoint] = {}
        for entry_point in found:
            dist_name, _ = _distribution_of(entry_point)
            if _normalize(dist_name) in disabled:
                continue
            unique.setdefault(
                (entry_point.name, _normalize(dist_name), entry_point.value), entry_point
            )
        return list(unique.values())

    def _pick(self, scheme: str, candidates: list[EntryPoint]) -> EntryPoint:
        by_dist: dict[str, EntryPoint] = {}
        for entry_point in candidates:
            by_dist.setdefault(_normalize(_distribution_of(entry_point)[0]), entry_point)
        if len(by_dist) == 1:
            return next(iter(by_dist.values()))
        chosen = self._preferred.get(scheme) or _normalize(os.environ.get(_env_name(scheme), ""))
        if chosen:
            if chosen in by_dist:
                return by_dist[chosen]
            raise PluginConflictError(
                f"Scheme {scheme!r} is set to come from {chosen!r}, which does not provide it;"
                f" installed: {', '.join(sorted(by_dist))}"
            )
        names = " and ".join(sorted(by_dist))
        raise PluginConflictError(
            f"Scheme {scheme!r} is claimed by {names}. Uninstall one, set"
            f" {_env_name(scheme)}=<distribution>, or call"
            f" kv.registry.prefer({scheme!r}, <distribution>)"
        )

    def _manager_or_new(self) -> pluggy.PluginManager:
        if self._manager is None:
            import pluggy

            from kv.plugin import PROJECT_NAME, StoreHookSpecs

            manager = pluggy.PluginManager(PROJECT_NAME)
            manager.add_hookspecs(StoreHookSpecs)
            self._manager = manager
        return self._manager

    def _declarations(self, entry_point: EntryPoint) -> list[StorePlugin]:
        """Import an entry point's module, register it with pluggy, ask its hook."""
        dist_name, _ = _distribution_of(entry_point)
        try:
            module = entry_point.load()
        except Exception as error:
            raise PluginLoadError(
                f"Plugin module {entry_point.value!r} of {dist_name} failed to import:"
                f" {type(error).__name__}: {error}"
            ) from error
        manager = self._manager_or_new()
        plugin_name = f"{dist_name}:{getattr(module, '__name__', entry_point.value)}"
        registered = manager.get_plugin(plugin_name)
        if registered is None:
            try:
                manager.register(module, name=plugin_name)
            except Exception as error:
                raise PluginLoadError(
                    f"Plugin module {entry_point.value!r} of {dist_name} is not a valid kv plugin:"
                    f" {error}"
                ) from error
        hook = manager.subset_hook_caller(
            "kv_store_plugins",
            remove_plugins=[p for p in manager.get_plugins() if p is not module],
        )
        try:
            results: list[Sequence[StorePlugin]] = hook()
        except Exception as error:
            raise PluginLoadError(
                f"Plugin module {entry_point.value!r} of {dist_name} failed to declare its stores:"
                f" {type(error).__name__}: {error}"
            ) from error
        declarations = [plugin for result in results for plugin in result]
        if not declarations or not all(isinstance(p, StorePlugin) for p in declarations):
            raise PluginLoadError(
                f"Plugin module {entry_point.value!r} of {dist_name} must return StorePlugin"
                " declarations from its kv_store_plugins hook"
            )
        return declarations

    def _from_entry_point(self, scheme: str, entry_point: EntryPoint) -> StorePlugin:
        for plugin in self._declarations(entry_point):
            if scheme in plugin.schemes:
                return plugin
        dist_name, _ = _distribution_of(entry_point)
        raise PluginLoadError(
            f"{dist_name} registers scheme {scheme!r}, but its plugin module does not declare it"
        )

    def resolve(self, scheme: str) -> StorePlugin:
        """Return the plugin serving ``scheme``, importing only its plugin module.

        Raises:
            UnknownSchemeError: no installed plugin serves ``scheme``; the message
                lists the known schemes and, for first-party ones, what to install.
            PluginConflictError: two distributions serve it and none was chosen.
            PluginLoadError: the plugin module cannot be imported or is invalid.
        """
        scheme = scheme.lower()
        with self._lock:
            cached = self._resolved.get(scheme)
            if cached is not None:
                return cached[0]
            if scheme in self._local:
                plugin, origin = self._local[scheme], _LOCAL
            else:
                candidates = self._entry_points(scheme)
                if not candidates:
                    raise self._unknown(scheme)
                entry_point = self._pick(scheme, candidates)
                plugin = self._from_entry_point(scheme, entry_point)
                origin = _distribution_of(entry_point)[0]
            self._resolved[scheme] = (plugin, origin)
            return plugin

    def origin(self, scheme: str) -> str:
        """The distribution that serves ``scheme`` (after :meth:`resolve`)."""
        self.resolve(scheme)
        return self._resolved[scheme.lower()][1]

    def _unknown(self, scheme: str) -> UnknownSchemeError:
        known = sorted(self.schemes())
        hint = ""
        if scheme in KNOWN_PLUGINS:
            hint = f" Install it with: pip install {KNOWN_PLUGINS[scheme]}."
        listed = ", ".join(known) if known else "none"
        return UnknownSchemeError(
            f"No installed kv plugin handles the {scheme!r} scheme.{hint}"
            f" Installed schemes: {listed}"
        )

    # --- listing -------------------------------------------------------------------

    def schemes(self) -> set[str]:
        """Every scheme an installed or registered plugin claims (imports nothing)."""
        return {ep.name for ep in self._entry_points()} | set(self._local)

    def plugins(self) -> list[PluginInfo]:
        """Every scheme with its distribution, version and declaration.

        Imports the light plugin modules (never a client library). A plugin
        that fails to load is listed with its error instead of breaking the list.
        """
        infos: list[PluginInfo] = []
        modules: dict[str, list[StorePlugin] | PluginLoadError] = {}
        for entry_point in sorted(self._entry_points(), key=lambda ep: ep.name):
            dist_name, version = _distribution_of(entry_point)
            cache_key = f"{dist_name}|{entry_point.value}"
            if cache_key not in modules:
                try:
                    modules[cache_key] = self._declarations(entry_point)
                except PluginLoadError as error:
                    modules[cache_key] = error
            declared = modules[cache_key]
            if isinstance(declared, PluginLoadError):
                infos.append(PluginInfo(entry_point.name, dist_name, version, None, str(declared)))
                continue
            match = next((p for p in declared if entry_point.name in p.schemes), None)
            problem = None if match else "the plugin module does not declare this scheme"
            infos.append(PluginInfo(entry_point.name, dist_name, version, match, problem))
        for scheme, plugin in sorted(self._local.items()):
            infos.append(PluginInfo(scheme, _LOCAL, "", plugin))
        return infos

    def loaded_modules(self) -> list[ModuleType]:
        """Plugin modules imported so far (for diagnostics)."""
        if self._manager is None:
            return []
        return [p for p in self._manager.get_plugins() if isinstance(p, ModuleType)]


registry = PluginRegistry()
"""The registry :func:`kv.connect` uses."""
