"""kv-conformance hooks of ``elasticsearch://`` (see :mod:`kv_search.conformance`)."""

from __future__ import annotations

from kv_elasticsearch.store import ElasticsearchStore
from kv_search.conformance import SearchConformanceHooks

__all__ = ["HOOKS"]

HOOKS = SearchConformanceHooks(ElasticsearchStore)
"""The object the plugin's declaration names."""
