"""``elasticsearch://``: kv on Elasticsearch, through the ``elasticsearch`` async client.

The store is :class:`kv_search.SearchStore` (kv-search, shared with
kv-opensearch); this module adapts the client to it. Requests go through the
client's transport (``AsyncElasticsearch.transport``) with plain JSON
content types, which every server version accepts (the client's own methods
send Elasticsearch 9's compatibility media types, which older servers and
OpenSearch-API servers refuse). See ``docs/plugins/elasticsearch.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import elastic_transport
from elasticsearch import AsyncElasticsearch

from kv.errors import StoreConnectionError, StoreTimeoutError
from kv_elasticsearch.plugin import PLUGIN, ElasticsearchOptions
from kv_search.engine import Connection, SearchEngine
from kv_search.store import SearchStore

__all__ = ["ELASTICSEARCH", "ElasticsearchOptions", "ElasticsearchStore", "ElasticsearchTransport"]


class ElasticsearchTransport:
    """One event loop's :class:`~elasticsearch.AsyncElasticsearch`, as kv-search uses it."""

    def __init__(self, connection: Connection) -> None:
        options = connection.options
        tls: dict[str, Any] = {}
        if options.tls:
            tls["verify_certs"] = options.verify_certs
            if options.ca_certs is not None:
                tls["ca_certs"] = options.ca_certs
        self.client = AsyncElasticsearch(
            list(connection.nodes),
            connections_per_node=options.max_connections,
            request_timeout=options.command_timeout,
            retry_on_timeout=False,
            **tls,
        )
        self._headers = dict(connection.headers)
        self._ndjson = connection.ndjson_headers()
        self._timeout = options.command_timeout

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: str | None = None,
        ndjson: bool = False,
    ) -> tuple[int, Any]:
        """Send one request through the client's transport (:class:`kv_search.SearchTransport`)."""
        target = f"{path}?{urlencode(params)}" if params else path
        try:
            response = await self.client.transport.perform_request(
                method,
                target,
                headers=self._ndjson if ndjson else self._headers,
                body=body,
                request_timeout=self._timeout,
            )
        except elastic_transport.ConnectionTimeout as error:
            raise StoreTimeoutError(f"Elasticsearch did not answer in time: {error}") from None
        except elastic_transport.TransportError as error:
            raise StoreConnectionError(f"Cannot reach Elasticsearch: {error}") from None
        return response.meta.status, response.body

    async def close(self) -> None:
        """Close the client's connections."""
        await self.client.close()


ELASTICSEARCH = SearchEngine(
    name="Elasticsearch",
    value_field="flattened",
    default_prefix="kv_store",
    connect=ElasticsearchTransport,
)
"""Elasticsearch and its client, as :class:`kv_search.SearchStore` uses them."""


class ElasticsearchStore(SearchStore, plugin=PLUGIN):
    """A kv store on Elasticsearch: an index per collection, py-key-value's layout.

    Build it from a URL (``kv.connect("elasticsearch://localhost:9200/app")``)
    or directly: ``ElasticsearchStore("elasticsearch+https://es:9200/app",
    api_key="...")``. Options: :class:`ElasticsearchOptions`.
    """

    engine = ELASTICSEARCH
