"""``opensearch://``: kv on OpenSearch, through opensearch-py's ``AsyncOpenSearch``.

The store is :class:`kv_search.SearchStore` (kv-search, shared with
kv-elasticsearch); this module adapts the client to it: requests go through
the client's transport (``AsyncOpenSearch.transport``), and an error status
comes back as the status, not as the library's exception. See
``docs/plugins/opensearch.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import opensearchpy
from opensearchpy import AsyncOpenSearch

from kv.errors import StoreConnectionError, StoreTimeoutError
from kv_opensearch.plugin import PLUGIN, OpenSearchOptions
from kv_search.engine import Connection, SearchEngine
from kv_search.store import SearchStore

__all__ = ["OPENSEARCH", "OpenSearchOptions", "OpenSearchStore", "OpenSearchTransport"]


class OpenSearchTransport:
    """One event loop's :class:`~opensearchpy.AsyncOpenSearch`, as kv-search uses it."""

    def __init__(self, connection: Connection) -> None:
        options = connection.options
        settings: dict[str, Any] = {"use_ssl": options.tls}
        if options.tls:
            settings["verify_certs"] = options.verify_certs
            settings["ssl_show_warn"] = options.verify_certs
            if options.ca_certs is not None:
                settings["ca_certs"] = options.ca_certs
        self.client = AsyncOpenSearch(
            list(connection.nodes),
            maxsize=options.max_connections,
            timeout=options.command_timeout,
            **settings,
        )
        self._headers = dict(connection.headers)
        self._ndjson = connection.ndjson_headers()

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
        try:
            reply = await self.client.transport.perform_request(
                method,
                path,
                params=dict(params) if params else None,
                body=body,
                headers=self._ndjson if ndjson else self._headers,
            )
        except opensearchpy.ConnectionTimeout as error:
            raise StoreTimeoutError(f"OpenSearch did not answer in time: {error}") from None
        except opensearchpy.ConnectionError as error:
            raise StoreConnectionError(f"Cannot reach OpenSearch: {error}") from None
        except opensearchpy.TransportError as error:
            if not isinstance(error.status_code, int):
                raise StoreConnectionError(f"OpenSearch failed: {error.error}") from None
            return error.status_code, error.info
        return 200, reply

    async def close(self) -> None:
        """Close the client's connections."""
        await self.client.close()


OPENSEARCH = SearchEngine(
    name="OpenSearch",
    value_field="flat",
    default_prefix="opensearch_kv_store",
    connect=OpenSearchTransport,
)
"""OpenSearch and opensearch-py, as :class:`kv_search.SearchStore` uses them."""


class OpenSearchStore(SearchStore, plugin=PLUGIN):
    """A kv store on OpenSearch: an index per collection, py-key-value's layout.

    Build it from a URL (``kv.connect("opensearch://localhost:9200/app")``)
    or directly: ``OpenSearchStore("opensearch+https://os:9200/app",
    user="kv", password="...")``. Options: :class:`OpenSearchOptions`.
    """

    engine = OPENSEARCH
