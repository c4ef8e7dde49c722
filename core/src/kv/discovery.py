"""Finding the plugin for a URL scheme.

Plugins are found through the ``kv.stores`` entry-point group, where each
entry point's name is a URL scheme and its value the plugin's
:class:`~kv.plugin.StorePlugin` declaration (see :mod:`kv.plugin`). Lookups
are lazy and by name, as SQLAlchemy finds dialects: opening ``redis://`` reads
the entry-point metadata, loads only the declaration registered as ``redis``
and, when the store is built, its store class. Listing plugins loads the
light declarations, never a client library.

This uses :func:`importlib.metadata.entry_points` directly. pluggy's
``load_setuptools_entrypoints`` was the other candidate; it does not fit:
it registers one object under one name only (a declaration serving
``redis`` and ``rediss`` would be refused), it silently skips a second
distribution claiming a scheme (kv reports the conflict instead), and one
plugin that fails to import aborts the whole load (kv isolates it).

Failures are isolated: a declaration that cannot be imported breaks only the
schemes that name it, with :class:`~kv.errors.PluginLoadError`.

When two distributions claim one scheme, opening it raises
:class:`~kv.errors.PluginConflictError` naming both, unless a choice was made,
either with :meth:`PluginRegistry.prefer` or with an environment variable
``KV_PLUGIN_<SCHEME>=<distribution>`` (scheme upper-cased, every character
other than a letter or digit replaced by ``_``: ``KV_PLUGIN_REDIS_CLUSTER``).

``KV_DISABLE_PLUGINS`` (comma-separated distribution names) hides plugins.

When no installed plugin serves a scheme, the error names the first-party
distribution to install, from ``plugin_index.json`` (generated from the
workspace's entry points by ``scripts/plugin-index``, so it names only
distributions that exist).
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from kv.errors import PluginConflictError, PluginLoadError, UnknownSchemeError
from kv.plugin import StorePlugin

__all__ = ["ENTRY_POINT_GROUP", "PluginInfo", "PluginRegistry", "first_party_plugins", "registry"]

ENTRY_POINT_GROUP = "kv.stores"

_LOCAL = "<registered in this process>"
_INDEX = Path(__file__).with_name("plugin_index.json")


def first_party_plugins() -> dict[str, str]:
    """Scheme -> the first-party distribution that serves it (for install hints)."""
    try:
        index: dict[str, str] = json.loads(_INDEX.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return index


@dataclass(frozen=True)
class PluginInfo:
    """One scheme as ``kv plugins`` shows it."""

    scheme: str
    distribution: str
    version: str
    plugin: StorePlugin | None
    error: str | None = None


@dataclass(frozen=True)
class _Found:
    """An entry point of the group, with the distribution that declares it."""

    entry_point: EntryPoint
    distribution: str
    version: str

    @property
    def scheme(self) -> str:
        return self.entry_point.name

    @property
    def target(self) -> str:
        return self.entry_point.value


def _env_name(scheme: str) -> str:
    return "KV_PLUGIN_" + re.sub(r"[^A-Za-z0-9]", "_", scheme).upper()


def _normalize(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution.strip()).lower()


def _disabled() -> frozenset[str]:
    text = os.environ.get("KV_DISABLE_PLUGINS", "")
    return frozenset(_normalize(part) for part in text.split(",") if part.strip())


def _found(entry_point: EntryPoint) -> _Found:
    dist = entry_point.dist
    if dist is None:  # pragma: no cover - entry points always come from a distribution here
        return _Found(entry_point, "<unknown>", "")
    return _Found(entry_point, dist.metadata["Name"] or dist.name, dist.version)


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
        self._loaded: dict[tuple[str, str], StorePlugin] = {}

    # --- registration in code --------------------------------------------------

    def register(
        self, schemes: str | tuple[str, ...], plugin: StorePlugin, *, replace: bool = False
    ) -> None:
        """Register a plugin for ``schemes`` in this process (for applications and tests).

        Raises:
            PluginConflictError: a scheme is already registered in this process
                and ``replace`` is false.
        """
        names = (schemes,) if isinstance(schemes, str) else schemes
        with self._lock:
            for scheme in names:
                if scheme.lower() in self._local and not replace:
                    raise PluginConflictError(
                        f"Scheme {scheme!r} is already registered in this process;"
                        " pass replace=True to override it"
                    )
            for scheme in names:
                self._local[scheme.lower()] = plugin
                self._resolved.pop(scheme.lower(), None)

    def unregister(self, scheme: str) -> None:
        """Forget a scheme registered with :meth:`register` and any cached lookup."""
        with self._lock:
            self._local.pop(scheme.lower(), None)
            self._resolved.pop(scheme.lower(), None)

    def prefer(self, scheme: str, distribution: str) -> None:
        """Choose which distribution serves ``scheme`` when several claim it."""
        with self._lock:
            self._preferred[scheme.lower()] = _normalize(distribution)
            self._resolved.pop(scheme.lower(), None)

    def refresh(self) -> None:
        """Forget every lookup, so distributions installed since are seen."""
        with self._lock:
            self._resolved.clear()
            self._loaded.clear()

    # --- lookup ------------------------------------------------------------------

    def _entry_points(self, scheme: str | None = None) -> list[_Found]:
        selected = (
            entry_points(group=self.group)
            if scheme is None
            else entry_points(group=self.group, name=scheme)
        )
        disabled = _disabled()
        unique: dict[tuple[str, str, str], _Found] = {}
        for entry_point in selected:
            found = _found(entry_point)
            if _normalize(found.distribution) in disabled:
                continue
            unique.setdefault((found.scheme, _normalize(found.distribution), found.target), found)
        return list(unique.values())

    def _pick(self, scheme: str, candidates: list[_Found]) -> _Found:
        by_dist: dict[str, _Found] = {}
        for found in candidates:
            by_dist.setdefault(_normalize(found.distribution), found)
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

    def _load(self, found: _Found) -> StorePlugin:
        """Load an entry point's declaration (once per distribution and target)."""
        cache_key = (_normalize(found.distribution), found.target)
        plugin = self._loaded.get(cache_key)
        if plugin is not None:
            return plugin
        try:
            loaded = found.entry_point.load()
        except Exception as error:
            raise PluginLoadError(
                f"The plugin {found.target!r} of {found.distribution} failed to import:"
                f" {type(error).__name__}: {error}"
            ) from error
        if not isinstance(loaded, StorePlugin):
            raise PluginLoadError(
                f"The {self.group} entry point {found.scheme!r} of {found.distribution} must name"
                f" a kv.plugin.StorePlugin, not a {type(loaded).__name__}"
            )
        self._loaded[cache_key] = loaded
        return loaded

    def resolve(self, scheme: str) -> StorePlugin:
        """Return the plugin serving ``scheme``, importing only its declaration.

        Raises:
            UnknownSchemeError: no installed plugin serves ``scheme``; the message
                lists the installed schemes and, for first-party ones, what to install.
            PluginConflictError: two distributions serve it and none was chosen.
            PluginLoadError: the declaration cannot be imported or is invalid.
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
                found = self._pick(scheme, candidates)
                plugin, origin = self._load(found), found.distribution
            self._resolved[scheme] = (plugin, origin)
            return plugin

    def origin(self, scheme: str) -> str:
        """The distribution that serves ``scheme`` (after :meth:`resolve`)."""
        self.resolve(scheme)
        return self._resolved[scheme.lower()][1]

    def _unknown(self, scheme: str) -> UnknownSchemeError:
        known = sorted(self.schemes())
        distribution = first_party_plugins().get(scheme)
        hint = f" Install it with: pip install {distribution}." if distribution else ""
        listed = ", ".join(known) if known else "none"
        return UnknownSchemeError(
            f"No installed kv plugin handles the {scheme!r} scheme.{hint}"
            f" Installed schemes: {listed}"
        )

    # --- listing -------------------------------------------------------------------

    def schemes(self) -> set[str]:
        """Every scheme an installed or registered plugin claims (imports nothing)."""
        return {found.scheme for found in self._entry_points()} | set(self._local)

    def plugins(self) -> list[PluginInfo]:
        """Every scheme with its distribution, version and declaration.

        Loads the light declarations (never a client library). A plugin that
        fails to load is listed with its error instead of breaking the list.
        """
        infos: list[PluginInfo] = []
        for found in sorted(self._entry_points(), key=lambda item: item.scheme):
            try:
                plugin = self._load(found)
            except PluginLoadError as error:
                infos.append(
                    PluginInfo(found.scheme, found.distribution, found.version, None, str(error))
                )
                continue
            infos.append(PluginInfo(found.scheme, found.distribution, found.version, plugin))
        for scheme, plugin in sorted(self._local.items()):
            infos.append(PluginInfo(scheme, _LOCAL, "", plugin))
        return infos


registry = PluginRegistry()
"""The registry :func:`kv.connect` uses."""
