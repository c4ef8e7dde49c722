"""py-key-value compatibility: kv-s3 reads what py-key-value's S3Store wrote, and back.

Both keep an entry as the object ``{collection}/{key}`` of one bucket, whose
body is the entry's JSON document and whose metadata holds ``expires-at`` and
``created-at``. kv's documents also carry the key and collection, which
py-key-value ignores.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from key_value.aio.stores.s3 import S3Store as PyKVS3Store

import kv
from kv_s3.store import S3Store

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning"),
]

VALUES: dict[str, dict[str, Any]] = {
    "alice": {"name": "Alice", "age": 30, "tags": ["a", "b"], "nested": {"ok": True}},
    "unicode-鍵": {"text": "héllo wörld ✓", "n": None, "f": 1.5},
    "with::colons": {"v": 1},
    "path/like/key": {"v": 2},
    "spaced key": {"v": 3},
}


@pytest.fixture
async def stores(
    endpoint: str, bucket: str, credentials: dict[str, Any]
) -> AsyncIterator[tuple[Any, S3Store]]:
    """py-key-value's S3Store and kv-s3 on the same bucket (no prefix)."""
    theirs = PyKVS3Store(
        bucket_name=bucket,
        endpoint_url=endpoint,
        region_name=str(credentials["region"]),
        aws_access_key_id=str(credentials["aws_access_key_id"]),
        aws_secret_access_key=str(credentials["aws_secret_access_key"]),
    )
    ours = kv.connect(f"s3://{bucket}?endpoint_url={endpoint}", **credentials)
    assert isinstance(ours, S3Store)
    async with theirs:
        yield theirs, ours
        await ours.destroy()
    await ours.close()


async def test_kv_reads_values_and_ttls_py_key_value_wrote(stores: tuple[Any, S3Store]) -> None:
    theirs, ours = stores
    for key, value in VALUES.items():
        await theirs.put(key, value, collection="users")
    await theirs.put("expiring", {"v": 1}, collection="users", ttl=300)
    await theirs.put_many(["b1", "b2"], [{"b": 1}, {"b": 2}], collection="batch", ttl=600)

    for key, value in VALUES.items():
        assert await ours.ttl(key, collection="users") == (value, None)
    found, remaining = await ours.ttl("expiring", collection="users")
    assert found == {"v": 1}
    assert remaining is not None
    assert 290 < remaining <= 300
    results = await ours.ttl_many(["b1", "b2", "missing"], collection="batch")
    assert [found for found, _ in results] == [{"b": 1}, {"b": 2}, None]
    for _, remaining in results[:2]:
        assert remaining is not None
        assert 590 < remaining <= 600
    assert sorted(await ours.keys("users")) == sorted([*VALUES, "expiring"])
    assert sorted(await ours.collections()) == ["batch", "users"]
    # The atomic operations work on py-key-value's objects too.
    versioned = await ours.get_versioned("alice", collection="users")
    assert versioned is not None
    assert await ours.put_if_version("alice", {"v": 9}, versioned.version, collection="users")
    assert await theirs.get("alice", collection="users") == {"v": 9}
    assert await ours.delete("with::colons", collection="users") is True
    assert await theirs.get("with::colons", collection="users") is None


async def test_py_key_value_reads_what_kv_wrote(stores: tuple[Any, S3Store]) -> None:
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


async def test_the_objects_have_py_key_value_s_layout(stores: tuple[Any, S3Store]) -> None:
    _, ours = stores
    await ours.put("k", {"v": 1}, collection="c", ttl=60)
    client = await ours._clients.get()
    found = await client.get_object(Bucket=ours.bucket, Key="c/k")
    assert found["ContentType"] == "application/json"
    assert set(found["Metadata"]) == {"expires-at", "created-at"}
    async with found["Body"] as stream:
        body = await stream.read()
    assert body.startswith(b'{"collection":"c","created_at":"')
