"""The declaration of ``elasticsearch://`` and ``elasticsearch+https://``.

Named by this distribution's ``kv.stores`` entry points. It imports only kv
and kv-search's options: listing plugins or resolving a scheme never imports
the elasticsearch client or :mod:`kv_elasticsearch.store`. The URL is
``elasticsearch[+https]://[user:password@]host[:port][,host...][/INDEX_PREFIX]``;
the index prefix defaults to py-key-value's, ``kv_store``.
"""

from __future__ import annotations

from kv_search.options import SEARCH_CAPABILITIES, SearchOptions, search_plugin

__all__ = ["ELASTICSEARCH_CAPABILITIES", "PLUGIN", "ElasticsearchOptions"]

ELASTICSEARCH_CAPABILITIES = SEARCH_CAPABILITIES
"""What :class:`kv_elasticsearch.store.ElasticsearchStore` can do."""

ElasticsearchOptions = SearchOptions
"""The options of ``elasticsearch://``: kv-search's, shared with kv-opensearch."""

PLUGIN = search_plugin(
    "kv_elasticsearch.store:ElasticsearchStore", "Elasticsearch (the elasticsearch async client)"
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
