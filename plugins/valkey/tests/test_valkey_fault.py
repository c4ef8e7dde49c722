"""Faults on a real valkey-server 9: killed mid-workload, restarted on the same port.

The server runs with ``--appendonly yes --appendfsync always``: after a
SIGKILL and a restart, every put that returned must still be there. Calls
made while the server is down raise :class:`kv.StoreConnectionError`, never
a client exception, and the same store object works again afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import ModuleType

import pytest
import valkey

import kv
from kv_conformance.servers import ServerProcess
from kv_valkey.store import ValkeyStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


@pytest.fixture
def anyio_backend() -> str:
    """The valkey client's asyncio API runs under asyncio only."""
    return "asyncio"


@pytest.fixture(scope="module")
def durable_valkey(resp_servers: ModuleType) -> Iterator[ServerProcess]:
    """A valkey-server of its own (it gets killed), fsyncing every write."""
    server = resp_servers.standalone_server(
        "valkey-durable",
        resp_servers.valkey_binary(),
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    )
    with server:
        yield server


async def test_kill_restart_same_store_no_acknowledged_write_lost(
    durable_valkey: ServerProcess, resp_checks: ModuleType
) -> None:
    store = kv.connect(
        f"valkey://127.0.0.1:{durable_valkey.port}/0",
        namespace=f"f-{uuid.uuid4().hex}",
        socket_connect_timeout=2,
    )
    assert isinstance(store, ValkeyStore)
    try:
        await resp_checks.check_fault_recovery(store, durable_valkey, valkey.ValkeyError)
    finally:
        await store.destroy()
        await store.close()
