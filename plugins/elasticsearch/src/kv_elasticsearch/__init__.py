"""kv-elasticsearch: kv stores on Elasticsearch.

Once the distribution is installed, ``kv.connect("elasticsearch://localhost:9200/app")``
opens it; or build it with ``ElasticsearchStore(url, **options)``. The store (and the
client library) is imported on first access to :class:`ElasticsearchStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_elasticsearch.plugin import ELASTICSEARCH_CAPABILITIES, ElasticsearchOptions

if TYPE_CHECKING:
    from kv_elasticsearch.store import ElasticsearchStore

__all__ = ["ELASTICSEARCH_CAPABILITIES", "ElasticsearchOptions", "ElasticsearchStore"]

__getattr__ = lazy_exports(__name__, {"ElasticsearchStore": "kv_elasticsearch.store"})
