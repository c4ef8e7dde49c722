"""What only kv-s3 does: its URL and options, names, native calls and limits, on moto."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

import kv
from kv import registry
from kv_s3.plugin import PLUGIN
from kv_s3.store import S3Store

pytestmark = pytest.mark.anyio


@pytest.fixture
async def store(endpoint: str, bucket: str, credentials: dict[str, Any]) -> AsyncIterator[S3Store]:
    """A store on a fresh bucket, no prefix."""
    store = kv.connect(f"s3://{bucket}?endpoint_url={endpoint}", **credentials)
    assert isinstance(store, S3Store)
    yield store
    await store.destroy()
    await store.close()


async def operations(store: S3Store) -> Counter[str]:
    """A counter of the S3 operations the store's client sends from now on (botocore's
    own event hooks)."""
    counted: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counted[model.name] += 1

    client = await store._clients.get()
    client.meta.events.register("before-call.s3", count)
    return counted


# --- declaration, URL and options ---------------------------------------------------


def test_scheme_resolves_to_this_plugin() -> None:
    assert registry.resolve("s3") is PLUGIN
    assert registry.origin("s3") == "kv-s3"


def test_url_gives_bucket_prefix_and_options() -> None:
    store = kv.connect("s3://my-bucket/app/cache/?region=eu-west-1&addressing_style=path")
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix) == ("my-bucket", "app/cache/")
    assert store.options.region == "eu-west-1"
    assert store.options.addressing_style == "path"
    assert store.options.auto_create is True
    assert store.options.sweep_interval is None
    bare = kv.connect("s3://my-bucket")
    assert isinstance(bare, S3Store)
    assert bare.prefix == ""


@pytest.mark.parametrize(
    "url",
    [
        "s3://",
        "s3://No_Such",
        "s3://ab",
        "s3://my-bucket/a/../b",
        "s3://user:hunter2@my-bucket",
        "s3://my-bucket?addressing_style=sideways",
        "s3://my-bucket?max_connections=0",
    ],
)
def test_bad_urls_and_options_are_refused(url: str) -> None:
    with pytest.raises((kv.InvalidOptionError, kv.InvalidURLError)) as caught:
        kv.connect(url)
    assert "hunter2" not in str(caught.value)


def test_credentials_are_never_shown() -> None:
    store = S3Store(
        bucket="my-bucket", aws_access_key_id="AKIDSHOWN", aws_secret_access_key="not-shown"
    )
    for text in (repr(store), str(store), repr(store.options)):
        assert "not-shown" not in text
        assert "AKIDSHOWN" not in text


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_s3, kv_s3.plugin
        from kv import registry
        registry.resolve("s3")
        registry.plugins()
        print(",".join(sorted(
            name for name in ("kv_s3.store", "aioboto3", "botocore") if name in sys.modules
        )))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


# --- bucket setup -------------------------------------------------------------------


async def test_auto_create_off_is_a_clear_setup_error(
    endpoint: str, bucket: str, credentials: dict[str, Any]
) -> None:
    store = kv.connect(f"s3://{bucket}?endpoint_url={endpoint}&auto_create=false", **credentials)
    with pytest.raises(kv.StoreSetupError) as caught:
        await store.get("k")
    assert bucket in str(caught.value)
    assert "auto_create" in str(caught.value)
    await store.close()


async def test_auto_create_makes_the_bucket_once(store: S3Store) -> None:
    await store.put("k", {"v": 1})
    client = await store._clients.get()
    listed = await client.list_buckets()
    assert store.bucket in [found["Name"] for found in listed["Buckets"]]


# --- names --------------------------------------------------------------------------


async def test_names_are_stored_as_py_key_value_stores_them_or_encoded(store: S3Store) -> None:
    names = {
        ("users", "alice"): "users/alice",
        ("a::b", "x/y.z"): "a::b/x/y.z",
        ("c/d", "k"): "c%2Fd/k",
        ("c", "../../etc/passwd"): "c/..%2F..%2Fetc%2Fpasswd",
        ("c", ".."): "c/%2E%2E",
        ("c", "a\x00b"): "c/a%00b",
        ("c", "100%"): "c/100%25",
        ("~c", "~k"): "%7Ec/%7Ek",
    }
    for collection, key in names:
        await store.put(key, {"k": key}, collection=collection)
    client = await store._clients.get()
    listed = await client.list_objects_v2(Bucket=store.bucket)
    assert sorted(item["Key"] for item in listed["Contents"]) == sorted(names.values())
    for collection, key in names:
        assert await store.get(key, collection=collection) == {"k": key}
    assert sorted(await store.collections()) == sorted({c for c, _ in names})
    assert sorted(await store.keys("c")) == sorted(k for c, k in names if c == "c")


async def test_long_names_are_hashed_and_listed_back(store: S3Store) -> None:
    collection, key = "c" * 600, "鍵" * 400  # 600 and 1,200 bytes
    await store.put(key, {"v": 1}, collection=collection)
    await store.put("short", {"v": 2}, collection=collection)
    client = await store._clients.get()
    listed = await client.list_objects_v2(Bucket=store.bucket)
    for item in listed["Contents"]:
        assert len(item["Key"].encode()) <= 1024
        assert item["Key"].startswith("~")
    assert await store.get(key, collection=collection) == {"v": 1}
    assert sorted(await store.keys(collection)) == sorted([key, "short"])
    assert await store.collections() == [collection]


# --- native calls and limits --------------------------------------------------------


async def test_a_batch_over_the_delete_limit_round_trips(store: S3Store) -> None:
    keys = [f"key-{i:04d}" for i in range(1200)]
    values = [{"i": i} for i in range(1200)]
    await store.setup()
    counted = await operations(store)
    await store.put_many(keys, values, collection="big")
    assert counted == {"PutObject": 1200}
    counted.clear()
    assert await store.get_many(keys, collection="big") == values
    assert counted == {"GetObject": 1200}
    counted.clear()
    assert await store.delete_many([*keys, "missing"], collection="big") == 1200
    # A HEAD per key (did it exist?), then DeleteObjects of at most 1,000 keys.
    assert counted == {"HeadObject": 1201, "DeleteObjects": 2}
    assert await store.get_many(keys[:5], collection="big") == [None] * 5


async def test_delete_heads_then_deletes_conditionally(store: S3Store) -> None:
    await store.put("k", {"v": 1})
    counted = await operations(store)
    assert await store.delete("k") is True
    assert counted == {"HeadObject": 1, "DeleteObject": 1}
    counted.clear()
    assert await store.delete("k") is False
    assert counted == {"HeadObject": 1}


async def test_expired_entries_are_hidden_not_deleted_by_reads_then_culled(
    store: S3Store,
) -> None:
    await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], ttl=0.2)
    await store.put("stay", {"v": 3})
    client = await store._clients.get()
    import anyio

    with anyio.fail_after(30):
        while await store.get("a") is not None:
            await anyio.sleep(0.05)
    assert await store.get_many(["a", "b"]) == [None, None]
    assert await store.delete("a") is False  # expired: did not exist (the object is removed)
    listed = await client.list_objects_v2(Bucket=store.bucket)
    assert sorted(item["Key"] for item in listed["Contents"]) == [
        "default_collection/b",
        "default_collection/stay",
    ]
    assert await store.cull() == 1
    assert await store.cull() == 0
    assert await store.keys() == ["stay"]


async def test_a_url_and_the_aws_environment_are_enough(
    endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Region, credentials and even the endpoint come from the SDK's usual variables."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "kv-env-key-id",
        "AWS_SECRET_ACCESS_KEY": "kv-env-secret-not-shown",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    store = kv.connect(f"s3://{bucket}")
    assert isinstance(store, S3Store)
    try:
        await store.put("k", {"v": 1})
        assert await store.get("k") == {"v": 1}
        assert "kv-env-secret" not in repr(store)
    finally:
        await store.destroy()
        await store.close()
