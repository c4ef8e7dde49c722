"""How a plugin declares its stores, and the hooks kv calls.

A plugin distribution names a light module in the ``kv.stores`` entry-point
group, once per URL scheme it serves (the entry-point name *is* the scheme)::

    [project.entry-points."kv.stores"]
    redis = "kv_redis.plugin"
    rediss = "kv_redis.plugin"

That module imports nothing heavy. It implements the ``kv_store_plugins``
hook, returning :class:`StorePlugin` declarations whose ``factory`` is a
``"module:attribute"`` string, imported only when a URL is opened::

    from kv.plugin import StorePlugin, hookimpl

    @hookimpl
    def kv_store_plugins() -> list[StorePlugin]:
        return [StorePlugin(
            schemes=("redis", "rediss"),
            factory="kv_redis.store:RedisStore.from_url",
            capabilities=REDIS_CAPABILITIES,
            description="Redis over TCP or TLS",
        )]

The factory is called as ``factory(url: StoreURL, **options)`` and returns
the store; it does not connect (stores connect lazily).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

from kv.capabilities import Capabilities
from kv.errors import PluginLoadError

if TYPE_CHECKING:
    from kv.protocols import Store

__all__ = ["PROJECT_NAME", "StorePlugin", "hookimpl", "hookspec"]

PROJECT_NAME = "kv"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

Factory = Callable[..., "Store"]


@dataclass(frozen=True)
class StorePlugin:
    """A declaration of the stores a plugin offers.

    Attributes:
        schemes: URL schemes served (each also an entry-point name).
        factory: ``"module:attribute"`` of ``factory(url, **options)``.
        capabilities: What the store can do (the store class uses the same value).
        description: One line for ``kv plugins``.
    """

    schemes: tuple[str, ...]
    factory: str
    capabilities: Capabilities
    description: str = ""

    def load_factory(self) -> Factory:
        """Import and return the factory.

        Raises:
            PluginLoadError: the module or attribute cannot be imported.
        """
        module_name, _, attribute = self.factory.partition(":")
        try:
            target: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                target = getattr(target, part)
        except ImportError as error:
            raise PluginLoadError(
                f"Cannot import the store for {', '.join(self.schemes)}: {error}"
                " (is the backend's client library installed?)"
            ) from error
        except AttributeError as error:
            raise PluginLoadError(
                f"Plugin factory {self.factory!r} does not exist: {error}"
            ) from error
        factory: Factory = target
        return factory


class StoreHookSpecs:
    """The hooks a kv plugin module may implement."""

    @hookspec
    def kv_store_plugins(self) -> Sequence[StorePlugin]:  # type: ignore[empty-body]
        """Return the store declarations of this plugin."""
