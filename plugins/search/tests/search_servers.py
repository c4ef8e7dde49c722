"""The search servers of the kv-elasticsearch and kv-opensearch tests (loaded by path).

Each plugin's ``conftest.py`` starts one osmem-server (an emulator of the
OpenSearch REST API, which the Elasticsearch client talks to as well) per
test session, unless an environment variable (``KV_ELASTICSEARCH_URL``,
``KV_OPENSEARCH_URL``) names a real server: the GitHub workflows set it to
their service container. Tests are isolated by index prefix, one per test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from kv_conformance.emulators import osmem
from kv_conformance.servers import ServerProcess


@dataclass(frozen=True)
class SearchServer:
    """Where a plugin's tests find their server.

    Attributes:
        scheme: The plugin's scheme (``elasticsearch``).
        base: ``scheme://host:port`` of the server (no path).
        process: The emulator's process, or ``None`` for a real server named
            by the environment (fault tests need the process and skip).
    """

    scheme: str
    base: str
    process: ServerProcess | None

    def url(self, prefix: str | None = None, query: str = "", *, password: str = "") -> str:
        """A URL of the server with a fresh index prefix (or ``prefix``), with basic-auth
        credentials when ``password`` is given (a server without security ignores them)."""
        base = self.base
        if password:
            scheme, _, location = base.partition("://")
            base = f"{scheme}://kv:{password}@{location}"
        url = f"{base}/{prefix or unique_prefix()}"
        return f"{url}?{query}" if query else url

    @property
    def http(self) -> str:
        """``http://host:port`` of the server, for raw clients."""
        return "http" + self.base.partition("://")[1] + self.base.partition("://")[2]


PASSWORD = "kv-test-secret-4711"
"""The password of the conformance stores (the suite checks it is never shown)."""


def unique_prefix() -> str:
    """A fresh index prefix: each test gets indices of its own."""
    return f"t{uuid.uuid4().hex[:16]}"


@contextmanager
def search_server(scheme: str, variable: str) -> Iterator[SearchServer]:
    """The real server ``variable`` names (``scheme://host:port``), else an osmem-server."""
    named = os.environ.get(variable)
    if named:
        yield SearchServer(scheme, named.rstrip("/"), None)
        return
    with osmem() as process:
        yield SearchServer(scheme, f"{scheme}://127.0.0.1:{process.port}", process)
