"""URL forms and options of the search-engine stores (Elasticsearch, OpenSearch), declared once.

:class:`SearchOptions` is the base of the options classes of kv-elasticsearch
and kv-opensearch: each option's type, default, check and documentation, from
which the stores' keywords, URL queries, ``from_url`` and ``kv plugins`` are
derived::

    elasticsearch://[user:password@]host[:port][,host2[:port]][/INDEX_PREFIX][?option=value...]
    elasticsearch+https://...                      TLS
    opensearch://..., opensearch+https://...

The URL's path is the index prefix: a collection's entries live in the index
``<prefix>-<collection>`` (py-key-value's naming).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from typing import Literal

from kv.capabilities import Capabilities
from kv.options import ServerOptions, option
from kv.plugin import StorePlugin
from kv.url import StoreURL

__all__ = [
    "DEFAULT_PORT",
    "SEARCH_CAPABILITIES",
    "RefreshPolicy",
    "SearchOptions",
    "search_plugin",
]

DEFAULT_PORT = 9200
"""The port of a host the URL gives without one."""

# Both client libraries are asyncio libraries (aiohttp): asyncio_only. The
# engines expire nothing themselves: expires_at is a date field that reads
# hide and cull() removes with a delete-by-query.
SEARCH_CAPABILITIES = Capabilities.every_operation(persistent=True, asyncio_only=True, atomic=True)
"""What a store of the search family (kv-elasticsearch, kv-opensearch) can do."""

RefreshPolicy = Literal["listing", "true", "wait_for"]

_PREFIX = re.compile(r"[a-z0-9][a-z0-9_.]{0,99}")


def _prefix(value: object) -> str | None:
    """An index prefix: lower-case letters, digits, ``_`` and ``.``, no ``-``."""
    if value is None:
        return None
    if not isinstance(value, str) or _PREFIX.fullmatch(value) is None:
        shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
        raise ValueError(
            "must be 1 to 100 lower-case letters, digits, '_' or '.', starting with a letter"
            f" or digit (no '-': it separates the prefix from the collection), not {shown}"
        )
    return value


class SearchOptions(ServerOptions, default_port=DEFAULT_PORT, path_option="index_prefix"):
    """Options of the search-engine stores, from the URL or keywords.

    The URL's location gives ``user``, ``password``, ``hosts``, ``port``
    (9200 unless it says otherwise) and ``index_prefix`` (the path); the
    ``+https`` schemes use TLS. Credentials are basic auth (``user`` and
    ``password``) or an API key; they are sent as a header, never shown.

    Attributes:
        index_prefix: Indices of this store are named ``<index_prefix>-<collection>``;
            the store owns (lists, destroys, culls) only those. Lower-case
            letters, digits, ``_`` and ``.``. Default: py-key-value's
            (``kv_store`` for Elasticsearch, ``opensearch_kv_store`` for OpenSearch).
        api_key: An API key (the base64 ``id:key`` form the engines hand out),
            instead of a user and password. Never shown.
        tls: Talk HTTPS (default: by the scheme, ``+https``).
        ca_certs: CA bundle file to verify the server's certificate with.
        verify_certs: Verify the server's certificate (HTTPS only).
        auto_create: Create a collection's index (with the store's mapping) on
            its first write; otherwise writing to a missing index is a
            :class:`~kv.errors.StoreSetupError`.
        refresh: When written entries become visible to listings:
            ``listing`` (writes return at once; ``keys()``, ``collections()``,
            ``destroy*()`` and ``cull()`` refresh the indices first),
            ``true`` or ``wait_for`` (each write refreshes, or waits for the
            next refresh, as py-key-value's writes do). Reads by key see every
            write either way.
        max_connections: Connections per node, per event loop.
    """

    index_prefix: str | None = option(default=None, check=_prefix)
    api_key: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_certs: str | None = None
    verify_certs: bool = True
    auto_create: bool = True
    refresh: RefreshPolicy = "listing"
    max_connections: int = 10

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """The URL's user, password, hosts, ports and index prefix; TLS by the scheme."""
        located = dict(super().from_location(url))
        if url.variant == "https":
            located["tls"] = True
        return located


def search_plugin(store: str, client: str) -> StorePlugin:
    """The declaration of a search-engine plugin: its store class (``"module:Class"``)
    and its client library (for the description); options and capabilities are
    kv-search's."""
    return StorePlugin(
        store=store,
        options=SearchOptions,
        capabilities=SEARCH_CAPABILITIES,
        description=f"{client}: an index per collection, py-key-value's layout",
    )
