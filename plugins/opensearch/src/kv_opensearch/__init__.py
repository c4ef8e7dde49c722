"""kv-opensearch: kv stores on OpenSearch.

Open one by URL once the distribution is installed::

    import kv

    store = kv.connect("opensearch://localhost:9200/app")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it with ``OpenSearchStore(url, **options)``. The store (and
opensearch-py) is imported on first access to :class:`OpenSearchStore`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_opensearch.plugin import OPENSEARCH_CAPABILITIES, OpenSearchOptions

if TYPE_CHECKING:
    from kv_opensearch.store import OpenSearchStore

__all__ = ["OPENSEARCH_CAPABILITIES", "OpenSearchOptions", "OpenSearchStore"]

__getattr__ = lazy_exports(__name__, {"OpenSearchStore": "kv_opensearch.store"})
