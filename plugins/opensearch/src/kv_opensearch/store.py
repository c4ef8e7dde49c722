"""``opensearch://``: kv on OpenSearch, through opensearch-py's ``AsyncOpenSearch``.

The store is :class:`kv_search.SearchStore` (kv-search, shared with
kv-elasticsearch). Here: making a client, and sending one request through
its transport (``AsyncOpenSearch.transport``), an error status returned as
a reply rather than raised as the library's exception. See
``docs/plugins/opensearch.md``.
"""

from __future__ import annotations

from typing import Any

import opensearchpy
from opensearchpy import AsyncOpenSearch

from kv.errors import StoreConnectionError, StoreTimeoutError
from kv_opensearch.plugin import PLUGIN, OpenSearchOptions
from kv_search.engine import Connection, Reply, Request, SearchEngine
from kv_search.store import SearchStore

__all__ = ["OPENSEARCH", "OpenSearchOptions", "OpenSearchStore"]


def _client(connection: Connection) -> AsyncOpenSearch:
    options = connection.options
    settings: dict[str, Any] = {"use_ssl": options.tls}
    if options.tls:
        settings.update(verify_certs=options.verify_certs, ssl_show_warn=options.verify_certs)
        if options.ca_certs is not None:
            settings["ca_certs"] = options.ca_certs
    nodes = list(connection.nodes)
    return AsyncOpenSearch(
        nodes, maxsize=options.max_connections, timeout=options.command_timeout, **settings
    )


async def _send(client: AsyncOpenSearch, request: Request) -> Reply:
    # perform_request(method, url, params, body, timeout, ...): the error statuses
    # are exceptions carrying the status and the parsed body.
    query = dict(request.params) or None
    arguments = (request.method, request.path, query, request.body, request.timeout)
    try:
        reply = await client.transport.perform_request(*arguments, headers=request.headers)
    except opensearchpy.ConnectionTimeout as error:
        raise StoreTimeoutError(f"OpenSearch did not answer in time: {error}") from None
    except opensearchpy.ConnectionError as error:
        raise StoreConnectionError(f"Cannot reach OpenSearch: {error}") from None
    except opensearchpy.TransportError as error:
        if isinstance(error.status_code, int):
            return error.status_code, error.info
        raise StoreConnectionError(f"OpenSearch failed: {error.error}") from None
    return 200, reply


OPENSEARCH = SearchEngine("OpenSearch", "flat", "opensearch_kv_store", _client, _send)
"""OpenSearch and opensearch-py, as :class:`kv_search.SearchStore` uses them."""


class OpenSearchStore(SearchStore, plugin=PLUGIN):
    """A kv store on OpenSearch: an index per collection, py-key-value's layout.

    ``kv.connect("opensearch://localhost:9200/app")``, or
    ``OpenSearchStore("opensearch+https://os:9200/app", user="kv", password="...")``.
    Options: :class:`kv_search.SearchOptions`.
    """

    engine = OPENSEARCH
