"""One search server for the kv-elasticsearch tests, started once per test session.

An osmem-server (an emulator of the OpenSearch REST API), unless
``KV_ELASTICSEARCH_URL`` names a real Elasticsearch (the GitHub workflow's
service container). The helpers live in ``plugins/search/tests`` and are
shared with kv-opensearch's tests.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest


def _load(module: str) -> ModuleType:
    """Load a helper module shared with kv-opensearch's tests, from kv-search's tests."""
    name = f"kv_search_tests_{module}"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).parents[2] / "search" / "tests" / f"{module}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


servers = _load("search_servers")
checks = _load("search_checks")


@pytest.fixture(scope="session")
def search_server() -> Iterator[object]:
    """The session's server (a ``SearchServer`` of ``plugins/search/tests/search_servers.py``)."""
    with servers.search_server("elasticsearch", "KV_ELASTICSEARCH_URL") as server:
        yield server
