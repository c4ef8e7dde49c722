"""The store against a port where no server listens (no Aerospike server can run
on this machine): it connects lazily, in a worker thread, answers
StoreConnectionError without showing the password, stays usable, and closes.

Everything else the store does needs a server: ``service_tests/`` runs the
conformance suite against a real one in the GitHub workflow.
"""

from __future__ import annotations

import socket
import threading
import time

import aerospike
import pytest

import kv
from kv.errors import StoreConnectionError
from kv_aerospike.conformance import HOOKS
from kv_aerospike.store import AerospikeStore
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type

pytestmark = pytest.mark.anyio

SECRET = "s3cret-never-shown"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (bound, never listening)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_conformance_hooks_are_registered() -> None:
    assert hooks_for_scheme("aerospike") is HOOKS
    assert schemes_of_store_type(AerospikeStore) == ("aerospike",)


async def test_an_unreachable_cluster_is_a_connection_error(closed_port: int) -> None:
    store = kv.connect(
        f"aerospike://alice:{SECRET}@127.0.0.1:{closed_port}/test/kv?connect_timeout=1"
    )
    assert isinstance(store, AerospikeStore)
    calls = [
        store.get("k", collection="c"),
        store.put("k", {"v": 1}, collection="c"),
        store.get_many(["a", "b"]),
        store.delete("k"),
        store.keys("c"),
        store.put_if_absent("k", {"v": 1}),
    ]
    for call in calls:
        started = time.monotonic()
        with pytest.raises(StoreConnectionError) as raised:
            await call
        assert time.monotonic() - started < 30
        error = raised.value
        assert error.store == "aerospike"
        assert SECRET not in str(error)
        assert SECRET not in repr(error)
        assert "Cannot reach the Aerospike cluster" in str(error)
    await store.close()


async def test_the_client_connects_off_the_event_loop(closed_port: int) -> None:
    store = AerospikeStore(f"aerospike://127.0.0.1:{closed_port}/test/kv", connect_timeout=1)
    loop_thread = threading.get_ident()
    seen: list[int] = []
    connect = store._connect

    def watched() -> aerospike.Client:
        seen.append(threading.get_ident())
        return connect()

    store._connect = watched  # type: ignore[method-assign]
    with pytest.raises(StoreConnectionError):
        await store.setup()
    assert seen
    assert loop_thread not in seen


async def test_a_closed_store_reopens_on_its_next_call(closed_port: int) -> None:
    store = AerospikeStore(f"aerospike://127.0.0.1:{closed_port}/test/kv", connect_timeout=1)
    await store.close()  # never opened: nothing to do
    with pytest.raises(StoreConnectionError):
        await store.get("k")
    await store.close()
    with pytest.raises(StoreConnectionError):
        await store.get("k")  # tries again: the store was not broken by the failure


async def test_the_corruption_hook_uses_a_client_of_its_own(closed_port: int) -> None:
    """The hook connects its own client (to the store's server), in a worker thread."""
    store = AerospikeStore(f"aerospike://127.0.0.1:{closed_port}/test/kv", connect_timeout=1)
    with pytest.raises(aerospike.exception.AerospikeError) as raised:
        await HOOKS.corrupt_entry(store, "c", "k")
    assert raised.value.args[0] == -10  # Failed to connect: the store's own server
