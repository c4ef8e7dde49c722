"""kv-search: the kv store of the search-engine family (Elasticsearch, OpenSearch).

Shared by kv-elasticsearch and kv-opensearch (like kv-resp for Redis and
Valkey): the options (:class:`SearchOptions`), py-key-value's layout
(:mod:`kv_search.layout`) and the whole store (:class:`SearchStore`), written
once against the engines' REST API. A plugin describes its client library
as a :class:`SearchEngine` (make a client, send one request) and declares
its schemes with :func:`search_plugin`. This distribution has no client
library and no entry points.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_search.options import SEARCH_CAPABILITIES, SearchOptions, search_plugin

if TYPE_CHECKING:
    from kv_search.engine import Connection, Request, SearchEngine
    from kv_search.store import SearchStore

__all__ = [
    "SEARCH_CAPABILITIES",
    "Connection",
    "Request",
    "SearchEngine",
    "SearchOptions",
    "SearchStore",
    "search_plugin",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "Connection": "kv_search.engine",
        "SearchEngine": "kv_search.engine",
        "Request": "kv_search.engine",
        "SearchStore": "kv_search.store",
    },
)
