"""``kv.connect``: open a store from a URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kv.errors import KeyValueError
from kv.url import StoreURL

if TYPE_CHECKING:
    from kv.discovery import PluginRegistry
    from kv.protocols import Store

__all__ = ["connect"]


def connect(
    url: str | StoreURL, *, registry: PluginRegistry | None = None, **options: object
) -> Store:
    """Return the store a URL names. It connects lazily, on first use.

    ``kv.connect("redis://localhost:6379/0")`` finds the plugin that serves
    the ``redis`` scheme through its entry point, imports only that plugin's
    declaration and store class, and builds the store with the class's
    ``from_url``. Keyword ``options`` override options of the same name in
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
        from kv.discovery import registry as shared_registry

        registry = shared_registry
    plugin = registry.resolve(parsed.scheme)
    try:
        return plugin.open(parsed, **options)
    except KeyValueError as error:
        error.add_context(store=parsed.scheme)
        raise
