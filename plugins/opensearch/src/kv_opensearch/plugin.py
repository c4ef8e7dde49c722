"""The declaration of ``opensearch://`` and ``opensearch+https://``.

Named by this distribution's ``kv.stores`` entry points. It imports only kv
and kv-search's options: listing plugins or resolving a scheme never imports
opensearch-py or :mod:`kv_opensearch.store`.
"""

from __future__ import annotations

from kv.plugin import StorePlugin
from kv_search.options import SEARCH_CAPABILITIES, SearchOptions

__all__ = ["OPENSEARCH_CAPABILITIES", "PLUGIN", "OpenSearchOptions"]

OPENSEARCH_CAPABILITIES = SEARCH_CAPABILITIES
"""What :class:`kv_opensearch.store.OpenSearchStore` can do."""


class OpenSearchOptions(SearchOptions):
    """Options of ``opensearch://``: kv-search's (see :class:`kv_search.SearchOptions`),
    from the URL ``opensearch[+https]://[user:password@]host[:port][,host...][/INDEX_PREFIX]``
    or keywords. The index prefix defaults to py-key-value's, ``opensearch_kv_store``."""


PLUGIN = StorePlugin(
    store="kv_opensearch.store:OpenSearchStore",
    options=OpenSearchOptions,
    capabilities=OPENSEARCH_CAPABILITIES,
    description="OpenSearch (opensearch-py's AsyncOpenSearch): an index per collection,"
    " py-key-value's layout",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
