"""One real etcd server (Debian's etcd-server 3.4) for the session.

Tests are isolated by key prefix: each gets a fresh one (a uuid), so no test
restarts or empties the shared server. ``KV_ETCD_URL`` names a server that
runs already (the GitHub workflow's service container): the tests then use
it instead of starting one, and skip the fault tests, which must stop their
server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from kv_conformance.emulators import etcd
from kv_conformance.servers import ServerProcess

EXTERNAL = os.environ.get("KV_ETCD_URL", "").rstrip("/")
"""``etcd://HOST:PORT`` of a server the tests do not start (empty: start one)."""


def unique_prefix() -> str:
    """A fresh key prefix (each test gets an empty store)."""
    return f"kvtest-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def etcd_server() -> Iterator[ServerProcess | None]:
    """The session's etcd, or ``None`` when ``KV_ETCD_URL`` names one."""
    if EXTERNAL:
        yield None
        return
    with etcd() as server:
        yield server


@pytest.fixture(scope="session")
def etcd_url(etcd_server: ServerProcess | None) -> str:
    """``etcd://HOST:PORT`` of the session's server (no prefix)."""
    if etcd_server is None:
        return EXTERNAL
    return f"etcd://127.0.0.1:{etcd_server.port}"


@pytest.fixture
def store_url(etcd_url: str) -> str:
    """A URL of an empty store: the session's server, a fresh prefix."""
    return f"{etcd_url}/{unique_prefix()}"


@pytest.fixture
def anyio_backend() -> str:
    """aetcd (grpc.aio) runs under asyncio only."""
    return "asyncio"
