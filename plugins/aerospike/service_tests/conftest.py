"""The kv-aerospike tests that need a real Aerospike server.

No Aerospike server can run on the development machine, so these tests live
outside ``tests/`` (the project's test command does not collect them) and run
in ``.github/workflows/aerospike.yml`` against the ``aerospike/aerospike-server``
service container. They find it through the environment:

* ``KV_AEROSPIKE_URL``: the server and namespace, ``aerospike://127.0.0.1:3000/test``
  (each test adds a set of its own);
* ``KV_AEROSPIKE_CONTAINER``: the container's id, for the fault test (which
  stops and starts it with ``docker``); without it that test is skipped.

Without ``KV_AEROSPIKE_URL`` every test is skipped, saying so.
"""

from __future__ import annotations

import os
import time
import uuid

import aerospike
import pytest

from kv_aerospike.plugin import AerospikeOptions
from kv_aerospike.policies import client_config
from kv_aerospike.store import AerospikeStore

READY_WITHIN = 120.0
"""Seconds the server may take to answer after the session starts."""


def _answers(config: dict[str, object]) -> bool:
    """Whether a client connects (a real handshake with the server)."""
    try:
        aerospike.client(config).close()
    except aerospike.exception.AerospikeError:
        return False
    return True


def wait_until_ready(url: str, within: float = READY_WITHIN) -> None:
    """Return once the server at ``url`` takes a connection."""
    options = AerospikeStore(url).options
    config = client_config(AerospikeOptions(hosts=options.hosts, port=options.port))
    deadline = time.monotonic() + within
    while not _answers(config):
        if time.monotonic() > deadline:
            raise RuntimeError(f"The Aerospike server at {url} did not answer in {within} s")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def aerospike_url() -> str:
    """``aerospike://HOST:PORT/NAMESPACE`` of the real server (without a set)."""
    url = os.environ.get("KV_AEROSPIKE_URL")
    if not url:
        pytest.skip(
            "no Aerospike server: these tests run in the GitHub workflow, which sets"
            " KV_AEROSPIKE_URL to its aerospike/aerospike-server service container"
        )
    url = url.rstrip("/")
    wait_until_ready(url)
    return url


class SetPool:
    """Set names of the server, emptied after each test and used again.

    A namespace holds a bounded number of sets (1,023 on older servers), and a
    set, once written, stays in the namespace's list until the server
    restarts: tests take a few names and give them back instead of a new one
    each.
    """

    def __init__(self) -> None:
        self._free: list[str] = []

    def take(self) -> str:
        return self._free.pop() if self._free else f"kv-{uuid.uuid4().hex[:12]}"

    async def give_back(self, store: AerospikeStore) -> None:
        """Empty the store's set (and keep its name if that worked), then close it."""
        try:
            await store.destroy()
        except Exception:
            await store.close()
            return
        await store.close()
        self._free.append(store.set_name)


@pytest.fixture(scope="session")
def set_pool() -> SetPool:
    return SetPool()
