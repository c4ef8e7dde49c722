"""kv-elasticsearch: kv stores on Elasticsearch.

Open one by URL once the distribution is installed::

    import kv

    store = kv.connect("elasticsearch://localhost:9200/app")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)

or build it with ``ElasticsearchStore(url, **options)``. The store (and the
client library) is imported on first access to :class:`ElasticsearchStore`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_elasticsearch.plugin import ELASTICSEARCH_CAPABILITIES, ElasticsearchOptions

if TYPE_CHECKING:
    from kv_elasticsearch.store import ElasticsearchStore

__all__ = ["ELASTICSEARCH_CAPABILITIES", "ElasticsearchOptions", "ElasticsearchStore"]

__getattr__ = lazy_exports(__name__, {"ElasticsearchStore": "kv_elasticsearch.store"})
