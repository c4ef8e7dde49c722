"""kv-valkey's atomic operations beyond the conformance suite: what is special to Valkey.

The suite's atomic section runs for every class of ``test_valkey_conformance``
(standalone and cluster, with the two-process claim). Here, with the checks
kv-redis runs too (``plugins/resp/tests/resp_checks.py``): the round trips and
the version (the SHA-1 of the stored document), scripts evicted from the
server's cache, connections the server closed or broke mid-call, a cluster's
slots.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import ModuleType

import pytest
import valkey.asyncio

import kv
from kv.atomic import update
from kv_conformance.servers import ServerProcess
from kv_valkey.plugin import VALKEY_CAPABILITIES
from kv_valkey.store import ValkeyStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


@pytest.fixture
def anyio_backend() -> str:
    """The valkey client's asyncio API runs under asyncio only."""
    return "asyncio"


@pytest.fixture
async def raw(kv_valkey_server: ServerProcess) -> AsyncIterator[valkey.asyncio.Valkey]:
    """A plain valkey client on database 4 of the standalone server."""
    client = valkey.asyncio.Valkey(port=kv_valkey_server.port, db=4)
    yield client
    await client.aclose()


@pytest.fixture
async def store(kv_valkey_server: ServerProcess) -> AsyncIterator[ValkeyStore]:
    """A store on database 4 with a namespace of its own."""
    store = ValkeyStore(
        f"valkey://127.0.0.1:{kv_valkey_server.port}/4", namespace=f"a-{uuid.uuid4().hex}"
    )
    yield store
    await store.destroy()
    await store.close()


@pytest.fixture
async def cluster_store(kv_valkey_cluster_url: str) -> AsyncIterator[ValkeyStore]:
    """A store on the cluster with a namespace of its own."""
    store = kv.connect(kv_valkey_cluster_url, namespace=f"a-{uuid.uuid4().hex}")
    assert isinstance(store, ValkeyStore)
    yield store
    await store.destroy()
    await store.close()


def test_the_capability_is_declared() -> None:
    assert VALKEY_CAPABILITIES.atomic


async def test_one_round_trip_each_and_the_version_is_the_documents_sha1(
    store: ValkeyStore, raw: valkey.asyncio.Valkey, resp_checks: ModuleType
) -> None:
    await resp_checks.check_atomic_round_trips(store, raw)


async def test_scripts_evicted_from_the_cache_still_run(
    store: ValkeyStore, resp_checks: ModuleType
) -> None:
    await resp_checks.check_atomic_survives_script_flush(store)


async def test_scripts_evicted_from_a_clusters_caches_still_run(
    cluster_store: ValkeyStore, resp_checks: ModuleType
) -> None:
    await resp_checks.check_atomic_survives_script_flush(cluster_store, cluster=True)


async def test_connections_the_server_closed_are_replaced_before_sending(
    store: ValkeyStore, raw: valkey.asyncio.Valkey, resp_checks: ModuleType
) -> None:
    await resp_checks.check_atomic_after_server_closed_connections(store, raw)


async def test_conditional_writes_are_not_retried_after_a_broken_connection(
    store: ValkeyStore, raw: valkey.asyncio.Valkey, resp_checks: ModuleType
) -> None:
    await resp_checks.check_conditional_writes_are_not_retried(store, raw, plain_put_retried=False)


async def test_cluster_claims_and_updates_across_slots(cluster_store: ValkeyStore) -> None:
    keys = [f"key-{i}" for i in range(60)]  # spread over every master
    assert all([await cluster_store.put_if_absent(k, {"n": 0}, collection="c") for k in keys])
    assert not any([await cluster_store.put_if_absent(k, {"n": 1}, collection="c") for k in keys])
    for k in keys:
        await update(
            cluster_store, k, lambda old: {"n": (old or {"n": 0})["n"] + 1}, collection="c"
        )
    assert await cluster_store.get_many(keys, collection="c") == [{"n": 1}] * len(keys)
    for k in keys:
        found = await cluster_store.get_versioned(k, collection="c")
        assert found is not None
        assert await cluster_store.delete_if_version(k, found.version, collection="c")
    assert await cluster_store.keys("c") == []


async def test_keys_whose_document_expired_count_as_absent(
    store: ValkeyStore, raw: valkey.asyncio.Valkey, resp_checks: ModuleType
) -> None:
    await resp_checks.check_expired_documents_count_as_absent(store, raw)
