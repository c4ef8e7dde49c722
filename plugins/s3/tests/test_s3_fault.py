"""moto stopped and started again: the store answers StoreConnectionError while it
is down, then carries on with the same store object.

moto keeps nothing across a restart (it holds buckets in memory), so the
store finds its bucket gone and, with ``auto_create`` on, creates it again
and repeats the request; with ``auto_create`` off it says so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest

import kv
from kv_conformance.emulators import moto_server
from kv_conformance.servers import ServerProcess
from kv_s3.store import S3Store

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def own_moto() -> Iterator[ServerProcess]:
    """A moto server of this module's own (it gets stopped)."""
    with moto_server() as server:
        yield server


async def test_stopped_and_restarted_moto(
    own_moto: ServerProcess, bucket: str, credentials: dict[str, Any]
) -> None:
    url = f"s3://{bucket}/app?endpoint_url=http://127.0.0.1:{own_moto.port}"
    store = kv.connect(url, connect_timeout=2, read_timeout=5, max_attempts=2, **credentials)
    strict = kv.connect(url, auto_create=False, connect_timeout=2, max_attempts=2, **credentials)
    assert isinstance(store, S3Store)
    assert isinstance(strict, S3Store)
    try:
        await store.put("before", {"v": 1}, collection="fault")
        assert await strict.get("before", collection="fault") == {"v": 1}

        await anyio.to_thread.run_sync(own_moto.stop)
        calls: list[Callable[[], Awaitable[object]]] = [
            lambda: store.get("before", collection="fault"),
            lambda: store.put("x", {"v": 1}, collection="fault"),
            lambda: store.get_many(["before", "x"], collection="fault"),
            lambda: store.delete_many(["before", "x"], collection="fault"),
            lambda: store.put_if_absent("x", {"v": 1}, collection="fault"),
            lambda: store.keys("fault"),
        ]
        for call in calls:
            with pytest.raises(kv.StoreConnectionError) as caught:
                await call()
            assert "kv-test-secret" not in str(caught.value)

        await anyio.to_thread.run_sync(own_moto.start)
        # moto lost the bucket: the same store object creates it again and carries on.
        assert await store.get("before", collection="fault") is None
        await store.put("after", {"v": 2}, collection="fault")
        assert await store.get("after", collection="fault") == {"v": 2}
        assert await store.keys("fault") == ["after"]
        assert await strict.get("after", collection="fault") == {"v": 2}
        await store.destroy()
        client = await store._clients.get()
        await client.delete_bucket(Bucket=bucket)
        with pytest.raises(kv.StoreSetupError) as setup:
            await strict.get("after", collection="fault")
        assert bucket in str(setup.value)
    finally:
        await store.close()
        await strict.close()
