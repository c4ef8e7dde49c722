"""How a plugin declares its store: one :class:`StorePlugin`, named by entry points.

A plugin distribution declares each URL scheme it serves once, as an entry
point in the ``kv.stores`` group whose name is the scheme and whose value is
the plugin's declaration::

    [project.entry-points."kv.stores"]
    duckdb = "kv_duckdb.plugin:PLUGIN"

The declaration lives in a light module (it imports kv and the options class,
never the client library) and says everything kv needs before the store is
built::

    PLUGIN = StorePlugin(
        store="kv_duckdb.store:DuckDBStore",
        options=DuckDBOptions,
        capabilities=DUCKDB_CAPABILITIES,
        description="One DuckDB table, queryable with SQL",
    )

Everything a declaration module uses comes from this module: ``StorePlugin``,
:class:`~kv.capabilities.Capabilities`, the options base classes and
:func:`~kv.options.option` of :mod:`kv.options`, and :mod:`kv.checks`::

    from kv.plugin import Capabilities, LocalPathOptions, StorePlugin, checks, option

Several schemes may name the same declaration (``redis``, ``rediss``, ...).
The store class is imported only when a URL of the plugin is opened, and is
built with its ``from_url(url, **options)`` class method (which
:class:`~kv.store.BaseStore` derives from the options class).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kv import checks
from kv.capabilities import Capabilities
from kv.errors import PluginLoadError
from kv.options import CommonOptions, LocalOptions, LocalPathOptions, ServerOptions, option

if TYPE_CHECKING:
    from kv.options import StoreOptions
    from kv.protocols import Store
    from kv.url import StoreURL

__all__ = [
    "Capabilities",
    "CommonOptions",
    "LocalOptions",
    "LocalPathOptions",
    "ServerOptions",
    "StoreClass",
    "StorePlugin",
    "checks",
    "lazy_exports",
    "option",
]


class StoreClass(Protocol):
    """What a declaration's ``store`` names: a class built from a URL."""

    capabilities: Capabilities

    def from_url(self, url: StoreURL, /, **options: Any) -> Store:
        """Build the store (without connecting) from a parsed URL and keyword options."""
        ...


def _import(target: str, what: str) -> Any:
    """Import ``"module:attribute.path"``."""
    module_name, _, attribute = target.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
        for part in filter(None, attribute.split(".")):
            found = getattr(found, part)
    except ImportError as error:
        raise PluginLoadError(
            f"Cannot import the {what} {target!r}: {error} (is the backend's client library"
            " installed?)"
        ) from error
    except AttributeError as error:
        raise PluginLoadError(f"The {what} {target!r} does not exist: {error}") from error
    return found


@dataclass(frozen=True)
class StorePlugin:
    """The declaration of a plugin's store, named by its ``kv.stores`` entry points.

    Attributes:
        store: ``"module:Class"`` of the store class, imported on first use; the
            class has a ``from_url(url, **options)`` class method.
        options: The store's options class (a :class:`~kv.options.StoreOptions`
            subclass, importable without the client library); ``kv plugins``
            lists its options.
        capabilities: What the store can do (the store class has the same value).
        description: One line for ``kv plugins``.
        conformance: ``"module:attribute"`` of the plugin's
            :class:`kv_conformance.hooks.ConformanceHooks` (test support: the
            damaged-data and persistence tests); default: ``HOOKS`` of the
            ``conformance`` module of the store's package
            (``"kv_duckdb.conformance:HOOKS"``) if that module exists;
            ``None``: the plugin has none.
        name: The store's short name in error messages (``store=...``);
            default: the store's package without its ``kv_`` prefix, with
            ``-`` for ``_`` (``"kv_duckdb.store:DuckDBStore"`` is ``duckdb``,
            ``kv_azure_tables`` is ``azure-tables``); for kv-core's own stores,
            the module's name (``kv.stores.memory`` is ``memory``).

    A store class takes ``capabilities``, ``Options`` and ``store_name`` from
    its declaration with ``class DuckDBStore(FullStore, plugin=PLUGIN)``.
    """

    store: str
    options: type[StoreOptions]
    capabilities: Capabilities
    description: str = ""
    conformance: str | None = ""
    name: str = ""

    @property
    def store_name(self) -> str:
        """:attr:`name`, or the name derived from :attr:`store` (see :attr:`name`)."""
        if self.name:
            return self.name
        module = self.store.partition(":")[0]
        package = module.partition(".")[0]
        if package == "kv":  # kv-core's own stores: kv.stores.memory is "memory"
            return module.rpartition(".")[2]
        return package.removeprefix("kv_").replace("_", "-")

    def load_store(self) -> StoreClass:
        """Import the store class and check it matches this declaration.

        Raises:
            PluginLoadError: it cannot be imported, has no ``from_url``, or
                declares other capabilities.
        """
        store_class = _import(self.store, "store class")
        if not callable(getattr(store_class, "from_url", None)):
            raise PluginLoadError(f"The store class {self.store!r} has no from_url() class method")
        declared = getattr(store_class, "capabilities", None)
        if declared != self.capabilities:
            raise PluginLoadError(
                f"The store class {self.store!r} declares other capabilities than its plugin:"
                f" {declared} against {self.capabilities}"
            )
        result: StoreClass = store_class
        return result

    def open(self, url: StoreURL, /, **options: object) -> Store:
        """Build the store ``url`` names (it connects lazily, on first use)."""
        return self.load_store().from_url(url, **options)

    @property
    def conformance_hooks(self) -> str | None:
        """:attr:`conformance`, or ``"<store package>.conformance:HOOKS"`` when that
        module exists (found without importing it), or ``None``."""
        if self.conformance != "":
            return self.conformance
        package = self.store.partition(":")[0].rpartition(".")[0]
        if not package:
            return None
        module = f"{package}.conformance"
        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            found = None
        return f"{module}:HOOKS" if found is not None else None

    def load_conformance(self) -> object | None:
        """Import the conformance hooks object, if the plugin has one."""
        target = self.conformance_hooks
        if target is None:
            return None
        hooks: object = _import(target, "conformance hooks")
        return hooks


def lazy_exports(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``names`` from their modules on first use.

    A plugin package whose ``__init__`` must stay light (its declaration is
    imported by ``kv plugins`` and by every lookup of its schemes) exports its
    store this way::

        __getattr__ = lazy_exports(__name__, {"DuckDBStore": "kv_duckdb.store"})

    Args:
        package: The package's ``__name__`` (for the error message).
        names: Attribute name -> module that defines it.
    """

    def lazy_attribute(name: str) -> Any:
        module_name = names.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module_name), name)

    return lazy_attribute
