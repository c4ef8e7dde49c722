"""``elasticsearch://``: kv on Elasticsearch, through the ``elasticsearch`` async client.

The store is :class:`kv_search.SearchStore` (kv-search, shared with
kv-opensearch); this module only says how to make a client and send one
request with it. Requests go through the client's transport
(``AsyncElasticsearch.transport``) with plain JSON content types, which
every server version accepts (the client's own methods send Elasticsearch
9's compatibility media types, which older servers and OpenSearch-API
servers refuse), and an error status comes back as a reply. See
``docs/plugins/elasticsearch.md``.
"""

from __future__ import annotations

from typing import Any

import elastic_transport
from elasticsearch import AsyncElasticsearch

from kv.errors import StoreConnectionError, StoreTimeoutError
from kv_elasticsearch.plugin import PLUGIN, ElasticsearchOptions
from kv_search.engine import Connection, Reply, Request, SearchEngine
from kv_search.store import SearchStore

__all__ = ["ELASTICSEARCH", "ElasticsearchOptions", "ElasticsearchStore"]


def _client(connection: Connection) -> AsyncElasticsearch:
    options = connection.options
    tls: dict[str, Any] = {"verify_certs": options.verify_certs} if options.tls else {}
    if options.tls and options.ca_certs is not None:
        tls["ca_certs"] = options.ca_certs
    return AsyncElasticsearch(
        list(connection.nodes),
        connections_per_node=options.max_connections,
        request_timeout=options.command_timeout,
        retry_on_timeout=False,
        **tls,
    )


async def _send(client: AsyncElasticsearch, request: Request) -> Reply:
    try:
        response = await client.transport.perform_request(
            request.method,
            request.target(),
            headers=request.headers,
            body=request.body,
            request_timeout=request.timeout,
        )
    except elastic_transport.ConnectionTimeout as error:
        raise StoreTimeoutError(f"Elasticsearch did not answer in time: {error}") from None
    except elastic_transport.TransportError as error:
        raise StoreConnectionError(f"Cannot reach Elasticsearch: {error}") from None
    return response.meta.status, response.body


ELASTICSEARCH = SearchEngine("Elasticsearch", "flattened", "kv_store", _client, _send)
"""Elasticsearch and its client, as :class:`kv_search.SearchStore` uses them."""


class ElasticsearchStore(SearchStore, plugin=PLUGIN):
    """A kv store on Elasticsearch: an index per collection, py-key-value's layout.

    Build it from a URL (``kv.connect("elasticsearch://localhost:9200/app")``)
    or directly: ``ElasticsearchStore("elasticsearch+https://es:9200/app",
    api_key="...")``. Options: :class:`kv_search.SearchOptions`.
    """

    engine = ELASTICSEARCH
