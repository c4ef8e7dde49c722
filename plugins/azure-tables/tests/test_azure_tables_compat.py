"""py-key-value compatibility: kv reads what py-key-value's AzureTablesStore wrote, and back.

Both keep an entry as one entity of one table: PartitionKey the collection,
RowKey the key, the JSON document in ``Value`` and the expiry in whole
seconds in ``ExpiresAt`` (py-key-value's default layout, without its opt-in
sanitization strategy). The same Azurite serves both libraries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from key_value.aio.stores.azure_tables import AzureTablesStore as PyKVAzureTablesStore

import kv
from kv_azure_tables.store import AzureTablesStore
from kv_conformance.emulators import AZURITE_ACCOUNT

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.kv_server,
    pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning"),
]

VALUES: dict[str, dict[str, Any]] = {
    "alice": {"name": "Alice", "age": 30, "tags": ["a", "b"], "nested": {"ok": True}},
    "unicode-鍵": {"text": "héllo wörld ✓", "n": None, "f": 1.5},
    "with::colons and spaces": {"v": 1},
    "it's": {"quote": "'"},
}


@pytest.fixture
async def stores(
    connection_string: str, azure_table: str
) -> AsyncIterator[tuple[Any, AzureTablesStore]]:
    """py-key-value's AzureTablesStore and kv's on the same table of the same Azurite."""
    theirs = PyKVAzureTablesStore(connection_string=connection_string, table_name=azure_table)
    ours = kv.connect(
        f"azure-tables://{AZURITE_ACCOUNT}/{azure_table}", connection_string=connection_string
    )
    assert isinstance(ours, AzureTablesStore)
    async with theirs:
        yield theirs, ours
    await ours.close()


async def test_kv_reads_values_and_ttls_py_key_value_wrote(
    stores: tuple[Any, AzureTablesStore],
) -> None:
    theirs, ours = stores
    for key, value in VALUES.items():
        await theirs.put(key, value, collection="users")
    await theirs.put("expiring", {"v": 1}, collection="users", ttl=300)
    await theirs.put_many(["b1", "b2"], [{"b": 1}, {"b": 2}], collection="batch", ttl=600)
    await theirs.put_many(["p1", "p2"], [{"p": 1}, {"p": 2}], collection="batch")

    for key, value in VALUES.items():
        assert await ours.get(key, collection="users") == value
        assert await ours.ttl(key, collection="users") == (value, None)
    expiring, remaining = await ours.ttl("expiring", collection="users")
    assert expiring == {"v": 1}
    assert remaining is not None
    assert 290 < remaining <= 300
    results = await ours.ttl_many(["b1", "b2", "p1", "p2", "missing"], collection="batch")
    assert [found for found, _ in results] == [{"b": 1}, {"b": 2}, {"p": 1}, {"p": 2}, None]
    for _, remaining in results[:2]:
        assert remaining is not None
        assert 590 < remaining <= 600
    assert [remaining for _, remaining in results[2:]] == [None, None, None]
    assert sorted(await ours.keys("users")) == sorted([*VALUES, "expiring"])
    assert sorted(await ours.collections()) == ["batch", "users"]
    found = await ours.get_versioned("alice", collection="users")
    assert found is not None
    assert await ours.put_if_version("alice", {"v": 2}, found.version, collection="users")
    assert await ours.delete("b1", collection="batch") is True
    assert await ours.delete_many(["b2", "p1", "missing"], collection="batch") == 2


async def test_py_key_value_reads_what_kv_wrote(stores: tuple[Any, AzureTablesStore]) -> None:
    theirs, ours = stores
    for key, value in VALUES.items():
        await ours.put(key, value, collection="users")
    await ours.put_many(["t1", "t2"], [{"t": 1}, {"t": 2}], collection="users", ttl=120)

    for key, value in VALUES.items():
        assert await theirs.get(key, collection="users") == value
    value, remaining = await theirs.ttl("t2", collection="users")
    assert value == {"t": 2}
    assert remaining is not None
    assert 110 < remaining <= 120
    assert await theirs.delete("t1", collection="users") is True
    assert await ours.get("t1", collection="users") is None
