"""kv-opensearch: kv stores on OpenSearch.

Once the distribution is installed, ``kv.connect("opensearch://localhost:9200/app")``
opens it; or build it with ``OpenSearchStore(url, **options)``. The store (and
opensearch-py) is imported on first access to :class:`OpenSearchStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_opensearch.plugin import OPENSEARCH_CAPABILITIES, OpenSearchOptions

if TYPE_CHECKING:
    from kv_opensearch.store import OpenSearchStore

__all__ = ["OPENSEARCH_CAPABILITIES", "OpenSearchOptions", "OpenSearchStore"]

__getattr__ = lazy_exports(__name__, {"OpenSearchStore": "kv_opensearch.store"})
