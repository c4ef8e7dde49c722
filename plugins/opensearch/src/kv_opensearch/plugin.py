"""The declaration of ``opensearch://`` and ``opensearch+https://``.

Named by this distribution's ``kv.stores`` entry points; it imports only kv
and kv-search's options (never opensearch-py or :mod:`kv_opensearch.store`).
URL: ``opensearch[+https]://[user:password@]host[:port][,host...][/INDEX_PREFIX]``,
the index prefix by default py-key-value's, ``opensearch_kv_store``.
"""

from __future__ import annotations

from kv_search.options import SEARCH_CAPABILITIES, SearchOptions, search_plugin

__all__ = ["OPENSEARCH_CAPABILITIES", "PLUGIN", "OpenSearchOptions"]

OPENSEARCH_CAPABILITIES = SEARCH_CAPABILITIES
"""What :class:`kv_opensearch.store.OpenSearchStore` can do (kv-search's capabilities)."""

OpenSearchOptions = SearchOptions
"""The options of ``opensearch://`` (kv-search's, as for kv-elasticsearch)."""

PLUGIN = search_plugin("kv_opensearch.store:OpenSearchStore", "OpenSearch (opensearch-py)")
"""The declaration this distribution's ``kv.stores`` entry points name."""
