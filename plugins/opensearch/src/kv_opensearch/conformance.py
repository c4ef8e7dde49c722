"""kv-conformance hooks of ``opensearch://`` (see :mod:`kv_search.conformance`)."""

from __future__ import annotations

from kv_opensearch.store import OpenSearchStore
from kv_search.conformance import SearchConformanceHooks

__all__ = ["HOOKS"]

HOOKS = SearchConformanceHooks(OpenSearchStore)
"""The object the plugin's declaration names."""
