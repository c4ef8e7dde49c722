"""``kv.connect``: open a store from a URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kv.errors import KeyValueError, PluginLoadError
from kv.url import StoreURL

if TYPE_CHECKING:
    from kv.protocols import AsyncKeyValue
    from kv.registry import PluginRegistry

__all__ = ["connect"]


def connect(
    url: str | StoreURL, *, registry: PluginRegistry | None = None, **options: object
) -> AsyncKeyValue:
    """Return the store a URL names. It connects lazily, on first use.

    ``kv.connect("redis://localhost:6379/0")`` finds the plugin that serves
    the ``redis`` scheme through its entry point, imports only that plugin, and
    builds the store. Keyword ``options`` override options of the same name in
    the URL's query; each plugin documents and validates its own.

    Args:
        url: A store URL such as ``"memory://"`` or ``"redis://host/0"``.
        registry: The plugin registry to use (default: the shared one).
        **options: Store options; they win over the URL query.

    Raises:
        InvalidURLError: the URL cannot be parsed.
        UnknownSchemeError: no installed plugin serves the scheme.
        PluginConflictError: two installed plugins serve it and none was chosen.
        PluginLoadError: the plugin or its client library cannot be imported.
        InvalidOptionError: an option is unknown or has a bad value.
    """
    parsed = StoreURL.parse(url)
    if registry is None:
        from kv.registry import registry as shared_registry

        registry = shared_registry
    plugin = registry.resolve(parsed.scheme)
    factory = plugin.load_factory()
    try:
        store = factory(parsed, **options)
    except KeyValueError as error:
        error.add_context(store=parsed.scheme)
        raise
    except TypeError as error:
        raise PluginLoadError(
            f"The {parsed.scheme} plugin's factory cannot be called as factory(url, **options):"
            f" {error}",
            store=parsed.scheme,
        ) from error
    return store
