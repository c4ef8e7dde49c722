"""One moto server (S3 on a random loopback port) for the whole kv-s3 test session.

Tests are kept apart by fresh bucket names (uuid), never by restarting the
server; the fault test has its own server, since it stops it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kv_conformance.emulators import moto_server
from kv_conformance.servers import ServerProcess

CREDENTIALS: dict[str, Any] = {
    "region": "us-east-1",
    "aws_access_key_id": "kv-test-key-id",
    "aws_secret_access_key": "kv-test-secret-not-shown",
}
"""moto takes any credentials; passed as options so no test reads the environment."""


@pytest.fixture(scope="session")
def credentials() -> dict[str, Any]:
    """Region and credentials for a store on moto (as options: no test reads the environment)."""
    return dict(CREDENTIALS)


@pytest.fixture(scope="session")
def moto() -> Iterator[ServerProcess]:
    """moto's server, started once per session."""
    with moto_server() as server:
        yield server


@pytest.fixture(scope="session")
def endpoint(moto: ServerProcess) -> str:
    """moto's endpoint URL."""
    return f"http://127.0.0.1:{moto.port}"


def unique_bucket() -> str:
    """A fresh bucket name (each test gets an empty store)."""
    return f"kv-{uuid.uuid4().hex[:20]}"


@pytest.fixture(scope="session")
def suite_bucket() -> str:
    """The bucket the conformance tests share, each under a prefix of its own."""
    return unique_bucket()


@pytest.fixture
def bucket() -> str:
    """A fresh bucket name."""
    return unique_bucket()


@pytest.fixture
def anyio_backend() -> str:
    """aioboto3 runs under asyncio only."""
    return "asyncio"
