"""The declaration of ``elasticsearch://`` and ``elasticsearch+https://``.

Named by this distribution's ``kv.stores`` entry points. It imports only kv
and kv-search's options: listing plugins or resolving a scheme never imports
the elasticsearch client or :mod:`kv_elasticsearch.store`.
"""

from __future__ import annotations

from kv.plugin import StorePlugin
from kv_search.options import SEARCH_CAPABILITIES, SearchOptions

__all__ = ["ELASTICSEARCH_CAPABILITIES", "PLUGIN", "ElasticsearchOptions"]

ELASTICSEARCH_CAPABILITIES = SEARCH_CAPABILITIES
"""What :class:`kv_elasticsearch.store.ElasticsearchStore` can do."""


class ElasticsearchOptions(SearchOptions):
    """Options of ``elasticsearch://``: kv-search's (see :class:`kv_search.SearchOptions`),
    from the URL ``elasticsearch[+https]://[user:password@]host[:port][,host...][/INDEX_PREFIX]``
    or keywords. The index prefix defaults to py-key-value's, ``kv_store``."""


PLUGIN = StorePlugin(
    store="kv_elasticsearch.store:ElasticsearchStore",
    options=ElasticsearchOptions,
    capabilities=ELASTICSEARCH_CAPABILITIES,
    description="Elasticsearch (the elasticsearch async client): an index per collection,"
    " py-key-value's layout",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
