"""``kv.connect``: open a store from a URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kv.errors import KeyValueError, PluginLoadError
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
        from kv.discovery import registry as shared_registry

        registry = shared_registry
    plugin = registry.resolve(parsed.scheme)
    factory = plugin.load_factory()
    _check_callable_as_factory(factory, parsed.scheme)
    try:
        store: Store = factory(parsed, **options)
    except KeyValueError as error:
        error.add_context(store=parsed.scheme)
        raise
    return store


def _check_callable_as_factory(factory: object, scheme: str) -> None:
    """Refuse a factory that cannot take ``(url, **options)``, before calling it."""
    import inspect

    try:
        signature = inspect.signature(factory)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return  # a builtin or C callable: let the call itself decide
    parameters = list(signature.parameters.values())
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    takes_varargs = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    takes_keywords = any(p.kind is p.VAR_KEYWORD for p in parameters)
    if not (positional or takes_varargs) or not takes_keywords:
        raise PluginLoadError(
            f"The {scheme} plugin's factory must accept (url, **options); its signature is"
            f" {signature}",
            store=scheme,
        )
