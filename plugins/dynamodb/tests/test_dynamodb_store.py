"""What only the DynamoDB store does, on DynamoDB Local: native batches within
DynamoDB's limits, native TTL, long and marked names, table setup, the
environment's credentials, and the light declaration."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

import kv
from kv.errors import InvalidOptionError, InvalidURLError, StoreSetupError
from kv_conformance.servers import ServerProcess
from kv_dynamodb.names import MARK
from kv_dynamodb.store import DynamoDBStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def store(dynamodb_server: ServerProcess, ddb: Any) -> AsyncIterator[DynamoDBStore]:
    store = kv.connect(ddb.url(dynamodb_server))
    assert isinstance(store, DynamoDBStore)
    yield store
    client = await store._clients.get()
    await client.delete_table(TableName=store.table)
    await store.close()


async def raw_client(store: DynamoDBStore) -> Any:
    """The store's own aioboto3 client, for looking behind the store's back."""
    await store.setup()
    return await store._clients.get()


async def count_calls(store: DynamoDBStore) -> Counter[str]:
    """Count the DynamoDB operations the store's client sends from now on."""
    client = await raw_client(store)
    calls: Counter[str] = Counter()

    def seen(model: Any, **_: object) -> None:
        calls[model.name] += 1

    client.meta.events.register("before-call.dynamodb.*", seen)
    return calls


# --- native batches ---------------------------------------------------------------------


async def test_batches_larger_than_the_limits_round_trip(store: DynamoDBStore) -> None:
    """130 keys: BatchGetItem takes 100 a call, BatchWriteItem 25."""
    keys = [f"k{i:03d}" for i in range(130)]
    values = [{"i": i} for i in range(130)]
    calls = await count_calls(store)
    await store.put_many(keys, values, collection="big", ttl=3600)
    assert calls == {"BatchWriteItem": 6}
    calls.clear()
    assert await store.get_many(keys, collection="big") == values
    assert calls == {"BatchGetItem": 2}
    results = await store.ttl_many([*keys, "absent"], collection="big")
    assert [value for value, _ in results] == [*values, None]
    assert all(3500 < (remaining or 0) <= 3600 for _, remaining in results[:-1])
    assert sorted(await store.keys("big")) == keys
    calls.clear()
    assert await store.delete_many([*keys, "absent"], collection="big") == 130
    assert calls == {"BatchGetItem": 2, "BatchWriteItem": 6}
    assert await store.get_many(keys, collection="big") == [None] * 130


# --- native TTL ---------------------------------------------------------------------------


async def test_ttl_is_the_tables_ttl_attribute(store: DynamoDBStore) -> None:
    before = time.time()
    await store.put("k", {"v": 1}, collection="c", ttl=100)
    client = await raw_client(store)
    described = await client.describe_time_to_live(TableName=store.table)
    assert described["TimeToLiveDescription"]["AttributeName"] == "ttl"
    assert described["TimeToLiveDescription"]["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
    item = (await client.get_item(TableName=store.table, Key=_key("c", "k")))["Item"]
    expires_at = float(item["expires_at"]["N"])
    assert before + 100 <= expires_at <= time.time() + 100
    assert int(item["ttl"]["N"]) == math.ceil(expires_at)  # never deleted before it expires
    await store.put("k", {"v": 2}, collection="c")  # without a TTL: no TTL attributes
    item = (await client.get_item(TableName=store.table, Key=_key("c", "k")))["Item"]
    assert "ttl" not in item
    assert "expires_at" not in item


async def test_expired_items_dynamodb_has_not_deleted_are_hidden(store: DynamoDBStore) -> None:
    """DynamoDB deletes expired items within days: reads and listings hide them."""
    await store.put("live", {"v": 1}, collection="c")
    client = await raw_client(store)
    past = int(time.time()) - 10
    document = '{"collection": "c", "key": "old", "value": {"v": 0}, "version": 1}'
    await client.put_item(
        TableName=store.table,
        Item={**_key("c", "old"), "value": {"S": document}, "ttl": {"N": str(past)}},
    )
    assert await store.get("old", collection="c") is None
    assert await store.ttl("old", collection="c") == (None, None)
    assert await store.keys("c") == ["live"]
    assert await store.delete("old", collection="c") is False
    assert await store.put_if_absent("old", {"v": 2}, collection="c") is True


# --- names --------------------------------------------------------------------------------


async def test_names_too_long_for_key_attributes_list_back(store: DynamoDBStore) -> None:
    """Sort keys hold 1 024 bytes, partition keys 2 048: longer names are tokens."""
    long_key = "ü" * 600  # 1 200 bytes
    long_collection = "c" * 2100
    await store.put(long_key, {"v": 1}, collection=long_collection)
    await store.put(long_key + "x", {"v": 2}, collection=long_collection)
    assert await store.get(long_key, collection=long_collection) == {"v": 1}
    assert sorted(await store.keys(long_collection)) == [long_key, long_key + "x"]
    assert await store.collections() == [long_collection]
    client = await raw_client(store)
    items = (await client.scan(TableName=store.table))["Items"]
    assert all(item["key"]["S"].startswith(MARK + "#") for item in items)
    assert all(len(item["collection"]["S"]) < 100 for item in items)
    assert await store.delete_many([long_key, long_key + "x"], collection=long_collection) == 2


async def test_names_starting_with_the_mark_are_escaped(store: DynamoDBStore) -> None:
    token_like = MARK + "#" + "0" * 64
    await store.put(token_like, {"v": 1}, collection="c")
    await store.put(MARK, {"v": 2}, collection=MARK + "c")
    assert await store.keys("c") == [token_like]
    assert await store.keys(MARK + "c") == [MARK]
    assert sorted(await store.collections()) == sorted(["c", MARK + "c"])
    client = await raw_client(store)
    stored = {item["key"]["S"] for item in (await client.scan(TableName=store.table))["Items"]}
    assert stored == {MARK + "=" + token_like, MARK + "=" + MARK}


# --- table setup --------------------------------------------------------------------------


async def test_auto_create_off_refuses_a_missing_table(
    dynamodb_server: ServerProcess, ddb: Any
) -> None:
    table = ddb.unique_table()
    store = kv.connect(ddb.url(dynamodb_server, table, auto_create="false"))
    with pytest.raises(StoreSetupError) as caught:
        await store.put("k", {"v": 1})
    assert table in str(caught.value)
    assert "auto_create" in str(caught.value)
    assert "kvtestsecret" not in str(caught.value)
    assert isinstance(store, DynamoDBStore)
    client = await store._clients.get()
    assert table not in (await client.list_tables())["TableNames"]
    await store.close()


async def test_a_table_of_another_schema_is_refused(
    dynamodb_server: ServerProcess, ddb: Any
) -> None:
    table = ddb.unique_table()
    store = kv.connect(ddb.url(dynamodb_server, table))
    assert isinstance(store, DynamoDBStore)
    client = await store._clients.get()
    await client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    with pytest.raises(StoreSetupError, match="not a kv / py-key-value table"):
        await store.get("k")
    await client.delete_table(TableName=table)
    await store.close()


async def test_the_environment_is_enough(
    dynamodb_server: ServerProcess, ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A URL naming only the table, and the AWS SDK's usual variables."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "kvtestkey")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "kvtestsecret-not-shown")
    # botocore 1.40 reads AWS_DEFAULT_REGION, not AWS_REGION (kv-aws's docstring says both).
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb.endpoint(dynamodb_server))
    table = ddb.unique_table()
    store = kv.connect(f"dynamodb://{table}")
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    assert "kvtestsecret" not in repr(store)
    assert isinstance(store, DynamoDBStore)
    client = await store._clients.get()
    await client.delete_table(TableName=table)
    await store.close()


# --- options and the declaration ------------------------------------------------------------


def test_url_forms_and_bad_options() -> None:
    store = kv.connect("dynamodb://my-table.v2?region=eu-west-1&consistent_read=false")
    assert isinstance(store, DynamoDBStore)
    assert store.table == "my-table.v2"
    assert store.options.region == "eu-west-1"
    assert store.options.consistent_read is False
    assert store.options.auto_create is True
    assert DynamoDBStore("other-table").table == "other-table"
    for bad in ("dynamodb://ab", "dynamodb://has space", "dynamodb://a/b"):
        with pytest.raises(InvalidOptionError, match="table"):
            kv.connect(bad)
    with pytest.raises(InvalidURLError):
        kv.connect("dynamodb://?region=us-east-1")
    with pytest.raises(InvalidURLError):
        kv.connect("dynamodb://user:pw@table")


def test_credentials_are_never_shown() -> None:
    store = DynamoDBStore(
        "kv-table", aws_access_key_id="AKIDSHOWN", aws_secret_access_key="never-shown-secret"
    )
    for text in (repr(store), str(store), repr(store.options)):
        assert "never-shown-secret" not in text
        assert "AKIDSHOWN" not in text


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_dynamodb
        import kv_dynamodb.plugin
        from kv import registry
        registry.resolve("dynamodb")
        registry.plugins()
        heavy = ("kv_dynamodb.store", "aioboto3", "aiobotocore", "botocore", "kv_aws.clients")
        print(",".join(sorted(name for name in heavy if name in sys.modules)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def _key(collection: str, key: str) -> dict[str, Any]:
    return {"collection": {"S": collection}, "key": {"S": key}}
