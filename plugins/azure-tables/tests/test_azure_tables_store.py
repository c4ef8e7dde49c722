"""What only the Azure Tables store does, on Azurite: its layout, names, limits,
batches, expiry, table creation and credentials."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient

import kv
from kv.atomic import expiring_version
from kv_azure_tables.entities import DOCUMENT_LIMIT, EXPIRES_AT, PART_NAMES, VALUE
from kv_azure_tables.names import encode_name, hash_name
from kv_azure_tables.plugin import MAX_VALUE_SIZE
from kv_azure_tables.store import AzureTablesStore
from kv_conformance.emulators import AZURITE_ACCOUNT, AZURITE_KEY
from kv_conformance.servers import ServerProcess

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


@pytest.fixture
async def store(connection_string: str, azure_table: str) -> AsyncIterator[AzureTablesStore]:
    store = kv.connect(
        f"azure-tables://{AZURITE_ACCOUNT}/{azure_table}", connection_string=connection_string
    )
    assert isinstance(store, AzureTablesStore)
    yield store
    await store.close()


@pytest.fixture
async def raw(connection_string: str, azure_table: str) -> AsyncIterator[TableClient]:
    """azure-data-tables' own client on the store's table."""
    async with TableClient.from_connection_string(connection_string, azure_table) as client:
        yield client


async def test_entities_have_py_key_value_s_layout(
    store: AzureTablesStore, raw: TableClient
) -> None:
    before = time.time()
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=100)
    await store.put("bob", {"name": "Bob"}, collection="users")
    entity = await raw.get_entity("users", "alice")
    assert set(entity) == {"PartitionKey", "RowKey", VALUE, EXPIRES_AT}
    document = entity[VALUE]
    assert document.startswith('{"collection":"users","created_at":"')
    assert '"key":"alice","value":{"name":"Alice"},"version":1}' in document
    expires = entity[EXPIRES_AT].value
    assert int(before + 100) <= expires <= int(time.time() + 100)
    assert set(await raw.get_entity("users", "bob")) == {"PartitionKey", "RowKey", VALUE}


async def test_names_the_service_refuses_are_kept_and_listed(
    store: AzureTablesStore, raw: TableClient
) -> None:
    keys = ["a/b", "back\\slash", "hash#", "query?", "tab\there", "~tilde", "it's", "x" * 600]
    collection = "odd/collection#?"
    await store.put_many(keys, [{"i": i} for i in range(len(keys))], collection=collection)
    for i, key in enumerate(keys):
        assert await store.get(key, collection=collection) == {"i": i}
    assert await store.get_many(keys, collection=collection) == [{"i": i} for i in range(len(keys))]
    assert sorted(await store.keys(collection)) == sorted(keys)
    assert await store.collections() == [collection]
    stored = [entity["RowKey"] async for entity in raw.list_entities(select=["RowKey"])]
    assert sorted(stored) == sorted(encode_name(key) for key in keys)
    assert hash_name("x" * 600) in stored
    assert await store.delete_many(keys, collection=collection) == len(keys)


async def test_names_too_long_for_a_property_are_listed_from_the_document(
    store: AzureTablesStore,
) -> None:
    key = "k" * 40_000  # over a string property's 32,768 characters
    collection = "c" * 40_000
    await store.put(key, {"v": 1}, collection=collection)
    await store.put("short", {"v": 2}, collection=collection)
    assert await store.get(key, collection=collection) == {"v": 1}
    assert sorted(await store.keys(collection)) == sorted([key, "short"])
    assert await store.collections() == [collection]
    assert await store.delete(key, collection=collection) is True


async def test_a_batch_over_the_service_limits_round_trips(
    store: AzureTablesStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """250 keys: three transactions (at most 100 operations) and 18 filter queries
    (at most 14 keys) each way, through put_many, get_many and delete_many."""
    calls: dict[str, int] = {"submit_transaction": 0, "query_entities": 0, "get_entity": 0}
    for name in calls:
        original = getattr(TableClient, name)

        def counted(*args: Any, __name: str = name, __original: Any = original, **kw: Any) -> Any:
            calls[__name] += 1
            return __original(*args, **kw)

        monkeypatch.setattr(TableClient, name, counted)
    keys = [f"key-{i:03d}" for i in range(250)]
    values = [{"i": i} for i in range(250)]
    await store.put_many(keys, values, collection="big")
    assert calls["submit_transaction"] == 3
    assert await store.get_many(keys, collection="big") == values
    assert calls["query_entities"] == 18
    assert calls["get_entity"] == 0
    assert await store.delete_many([*keys, "missing"], collection="big") == 250
    assert calls["submit_transaction"] == 6
    assert await store.get_many(keys, collection="big") == [None] * 250
    assert await store.keys("big") == []


async def test_large_values_are_split_across_binary_properties(
    store: AzureTablesStore, raw: TableClient
) -> None:
    value = {"blob": "x" * 200_000, "n": 1}
    await store.put("big", value)
    assert await store.get("big") == value
    entity = await raw.get_entity("default_collection", "big")
    assert VALUE not in entity
    assert [name for name in PART_NAMES if name in entity] == list(PART_NAMES[:4])
    # put_many of more than the 4 MiB a transaction takes: several transactions.
    many = {f"m{i}": {"blob": str(i) * 600_000} for i in range(8)}
    await store.put_many(list(many), list(many.values()))
    assert await store.get_many(list(many)) == list(many.values())
    # 100 values that each fit in a string property, but whose quotes, escaped twice,
    # make 6 MB of request: two transactions.
    strings = {f"s{i}": {"blob": '"' * 15_000} for i in range(100)}
    await store.put_many(list(strings), list(strings.values()))
    assert await store.get_many(list(strings)) == list(strings.values())
    # A put over one that was split leaves no part behind.
    await store.put("big", {"small": True})
    assert await store.get("big") == {"small": True}
    assert set(await raw.get_entity("default_collection", "big")) == {
        "PartitionKey",
        "RowKey",
        VALUE,
    }


async def test_values_over_the_limit_are_refused_naming_it(store: AzureTablesStore) -> None:
    await store.put("kept", {"v": 1})
    with pytest.raises(kv.EntryTooLargeError) as caught:
        await store.put("kept", {"blob": "x" * MAX_VALUE_SIZE})
    assert str(MAX_VALUE_SIZE) in str(caught.value)
    # A value under the limit whose names make the entity too large.
    with pytest.raises(kv.EntryTooLargeError) as named:
        await store.put("kept" * 10_000, {"blob": "x" * (MAX_VALUE_SIZE - 100)})
    assert str(DOCUMENT_LIMIT) in str(named.value)
    assert "kept" in str(named.value)  # the key, as context
    assert await store.get("kept") == {"v": 1}


async def test_expired_entries_are_hidden_then_culled(
    store: AzureTablesStore, raw: TableClient
) -> None:
    await store.put("gone", {"v": 1}, ttl=0.3)
    await store.put_many(["a", "b"], [{}, {}], ttl=0.3)
    await store.put("kept", {"v": 2})
    assert store.options.sweep_interval is None  # no table scan during writes
    deadline = time.time() + 0.3
    while time.time() < deadline + 0.05:
        await store.get("kept")
    assert await store.get("gone") is None
    assert await store.ttl("gone") == (None, None)
    assert await store.delete("gone") is False  # expired: not counted
    stored = [entity["RowKey"] async for entity in raw.list_entities(select=["RowKey"])]
    assert sorted(stored) == ["a", "b", "kept"]  # delete() took the expired one anyway
    assert await store.cull() == 2
    assert await store.cull() == 0
    assert await store.keys() == ["kept"]


async def test_auto_create_off_needs_the_table(
    connection_string: str, new_table: Callable[[], str]
) -> None:
    table = new_table()
    strict = kv.connect(
        f"azure-tables:///{table}", connection_string=connection_string, auto_create=False
    )
    with pytest.raises(kv.StoreSetupError, match=table):
        await strict.get("k")
    creating = kv.connect(f"azure-tables:///{table}", connection_string=connection_string)
    await creating.put("k", {"v": 1})
    assert await strict.get("k") == {"v": 1}
    await creating.close()
    await strict.close()


async def test_a_table_deleted_under_the_store_comes_back(
    store: AzureTablesStore, connection_string: str, azure_table: str
) -> None:
    await store.put("k", {"v": 1})
    async with TableServiceClient.from_connection_string(connection_string) as service:
        await service.delete_table(azure_table)
    assert await store.get("k") is None
    assert await store.keys() == []
    assert await store.delete_many(["k"]) == 0
    await store.put_many(["k", "l"], [{"v": 2}, {"v": 3}])
    assert await store.get_many(["k", "l"]) == [{"v": 2}, {"v": 3}]


async def test_the_environment_is_enough(
    azurite: ServerProcess,
    connection_string: str,
    azure_table: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection_string)
    store = kv.connect(f"azure-tables:///{azure_table}")
    await store.put("k", {"v": 1})
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
    monkeypatch.setenv("AZURE_STORAGE_KEY", AZURITE_KEY)
    endpoint = f"http://127.0.0.1:{azurite.port}/{AZURITE_ACCOUNT}"
    keyed = kv.connect(f"azure-tables://{AZURITE_ACCOUNT}/{azure_table}?endpoint={endpoint}")
    assert await keyed.get("k") == {"v": 1}
    for opened in (store, keyed):
        await opened.close()


async def test_a_wrong_key_is_refused_without_showing_it(
    azurite: ServerProcess, azure_table: str
) -> None:
    wrong = "d3Jvbmcta2V5LXRleHQ="
    endpoint = f"http://127.0.0.1:{azurite.port}/{AZURITE_ACCOUNT}"
    store = kv.connect(
        f"azure-tables://{AZURITE_ACCOUNT}/{azure_table}?endpoint={endpoint}&account_key={wrong}"
    )
    with pytest.raises(kv.StoreConnectionError, match="refused the credentials") as caught:
        await store.put("k", {"v": 1})
    assert wrong not in str(caught.value)
    assert wrong not in repr(store)
    await store.close()


async def test_versions_are_etags_and_refuse_an_expired_entry(
    store: AzureTablesStore, raw: TableClient
) -> None:
    await store.put("k", {"v": 1})
    found = await store.get_versioned("k")
    assert found is not None
    entity = await raw.get_entity("default_collection", "k")
    etag = entity.metadata["etag"]
    assert etag is not None
    assert found.version == expiring_version(etag, None)
    await store.put("t", {"v": 1}, ttl=0.2)
    short = await store.get_versioned("t")
    assert short is not None
    assert short.version.startswith(etag[:3])
    deadline = time.time() + 0.25
    while time.time() < deadline:
        await store.get("k")
    assert await store.put_if_version("t", {"v": 2}, short.version) is False
    assert await store.delete_if_version("t", short.version) is False
    assert await store.put_if_absent("t", {"v": 3}) is True
    assert await store.get("t") == {"v": 3}


async def test_a_sibling_table_is_another_store(
    store: AzureTablesStore, new_table: Callable[[], str]
) -> None:
    sibling = AzureTablesStore(dataclasses.replace(store.options, table=new_table()))
    await store.put("k", {"who": "store"})
    await sibling.put("k", {"who": "sibling"})
    assert await store.destroy() is True
    assert await sibling.get("k") == {"who": "sibling"}
    await sibling.close()


async def test_corrupt_documents_are_deserialization_errors(
    store: AzureTablesStore, raw: TableClient
) -> None:
    await store.put_many(["good", "bad", "worse"], [{"v": 1}, {"v": 2}, {"v": 3}])
    replace = UpdateMode.REPLACE
    await raw.upsert_entity(
        {"PartitionKey": "default_collection", "RowKey": "bad", VALUE: 7}, mode=replace
    )
    await raw.upsert_entity({"PartitionKey": "default_collection", "RowKey": "worse"}, mode=replace)
    for key in ("bad", "worse"):
        with pytest.raises(kv.DeserializationError) as caught:
            await store.get(key)
        assert caught.value.key == key
    with pytest.raises(kv.DeserializationError) as bulk:
        await store.get_many(["good", "worse"])
    assert bulk.value.key == "worse"
    assert await store.get("good") == {"v": 1}
    assert await store.delete("bad") is True
