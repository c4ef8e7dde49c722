"""kv-search: the kv store of the search-engine family (Elasticsearch, OpenSearch).

Shared by kv-elasticsearch and kv-opensearch (like kv-resp for Redis and
Valkey): the options (:class:`SearchOptions`), py-key-value's layout
(:mod:`kv_search.layout`) and the whole store (:class:`SearchStore`), written
once against the engines' REST API. A plugin adapts its client library to
:class:`SearchTransport` and describes it as a :class:`SearchEngine`. This
distribution has no client library and no entry points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_search.options import SEARCH_CAPABILITIES, SearchOptions

if TYPE_CHECKING:
    from kv_search.engine import Connection, SearchEngine, SearchTransport
    from kv_search.store import SearchStore

__all__ = [
    "SEARCH_CAPABILITIES",
    "Connection",
    "SearchEngine",
    "SearchOptions",
    "SearchStore",
    "SearchTransport",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "Connection": "kv_search.engine",
        "SearchEngine": "kv_search.engine",
        "SearchTransport": "kv_search.engine",
        "SearchStore": "kv_search.store",
    },
)
