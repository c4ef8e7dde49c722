"""The MongoDB server killed (SIGKILL) or stopped, then started again on its port.

The fault tests stop the session's mongoeco and start it again on its port
(every test works in a database of its own, so the others do not mind).
mongoeco keeps its data in memory, so a restart empties it: what is checked is that calls
during the outage raise StoreConnectionError (never a pymongo exception), and
that the same store object works again once the server is back, without
being rebuilt. On a real server (``KV_MONGODB_URL``) they stop and start its
container with docker when ``KV_MONGODB_CONTAINER`` names it (the GitHub
workflow does), and are skipped otherwise.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import kv
from kv.url import StoreURL
from kv_conformance.servers import ServerProcess, port_is_open, wait_until
from kv_mongodb.store import MongoDBStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]

REAL_URL = os.environ.get("KV_MONGODB_URL", "")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Container:
    """The workflow's MongoDB service container, stopped and started with docker
    (``KV_MONGODB_CONTAINER`` names it), in the shape of a :class:`ServerProcess`."""

    def __init__(self, name: str, port: int) -> None:
        self.name = name
        self.port = port

    def _docker(self, *arguments: str) -> None:
        subprocess.run(["docker", *arguments, self.name], check=True, capture_output=True)

    @property
    def running(self) -> bool:
        return port_is_open(self.port)

    def kill(self) -> None:
        self._docker("kill")

    def stop(self) -> None:
        self._docker("stop")

    def start(self) -> None:
        self._docker("start")
        wait_until(lambda: port_is_open(self.port), timeout=120, what="the MongoDB container")


@pytest.fixture
def doomed_server(mongodb_server: ServerProcess | None) -> Iterator[ServerProcess | Container]:
    if mongodb_server is not None:
        yield mongodb_server  # started again after each test; every test has its own database
        return
    container = os.environ.get("KV_MONGODB_CONTAINER")
    if not container:
        pytest.skip("a real server (KV_MONGODB_URL) without KV_MONGODB_CONTAINER is never stopped")
    yield Container(container, StoreURL.parse(REAL_URL).port or 27017)


async def _until(check: Callable[[], Any], *, deadline: float = 60.0) -> None:
    """Call ``check`` until it returns without StoreConnectionError (a generous deadline)."""
    end = time.monotonic() + deadline
    while True:
        try:
            await check()
            return
        except kv.StoreConnectionError:  # noqa: PERF203 - until the server is back
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("how", ["kill", "stop"])
async def test_server_down_then_back(doomed_server: ServerProcess | Container, how: str) -> None:
    url = f"mongodb://127.0.0.1:{doomed_server.port}/kv-faults-{how}-{uuid.uuid4().hex[:8]}?directConnection=true"
    store = kv.connect(url, connect_timeout=0.5, command_timeout=5)
    assert isinstance(store, MongoDBStore)
    try:
        # A short connect_timeout shows the outage at once; on a busy machine the
        # first handshake may need more than one try.
        await _until(lambda: store.put("before", {"v": 1}, collection="c"))
        assert await store.get("before", collection="c") == {"v": 1}
        if how == "kill":
            doomed_server.kill()
        else:
            doomed_server.stop()
        for call in (
            store.get("before", collection="c"),
            store.put_many(["a", "b"], [{}, {}], collection="c"),
            store.keys("c"),
        ):
            with pytest.raises(kv.StoreConnectionError) as caught:
                await call
            assert "pymongo" not in type(caught.value).__module__
        doomed_server.start()

        async def write_and_read() -> None:
            await store.put("after", {"v": 3}, collection="c", ttl=60)
            assert await store.get("after", collection="c") == {"v": 3}

        await _until(write_and_read)
        assert await store.put_if_absent("claimed", {"v": 4}, collection="c") is True
        assert {"after", "claimed"} <= set(await store.keys("c"))
    finally:
        if doomed_server.running:
            await store.destroy()
        await store.close()
        if not doomed_server.running:
            doomed_server.start()
