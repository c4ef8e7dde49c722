"""What is special about kv-nats, against a real nats-server with JetStream.

URL forms and options, discovery and the light plugin module, the layout of
a bucket (subjects, JSON documents, headers) as plain nats-py reads it,
native per-message TTLs, names NATS cannot hold, bulk calls of many keys,
the bucket's creation (auto_create) and the refusal of a bucket without
per-message TTLs, and raw nats-py data read back.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import time

import nats.js.errors
import pytest
from nats.js import JetStreamContext, api

import kv
from kv import registry
from kv.errors import InvalidOptionError, InvalidURLError, StoreSetupError
from kv_nats.client import server_urls
from kv_nats.listing import EXPIRES_HEADER
from kv_nats.names import KEY_LIMIT, decode_token, encode_token
from kv_nats.plugin import NATS_CAPABILITIES, NatsOptions
from kv_nats.store import NatsStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


# --- discovery, URLs and options ------------------------------------------------------


def test_schemes_resolve_to_the_declaration() -> None:
    for scheme in ("nats", "nats+tls"):
        plugin = registry.resolve(scheme)
        assert plugin.capabilities == NATS_CAPABILITIES
        assert registry.origin(scheme) == "kv-nats"


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_nats
        from kv import registry
        registry.resolve("nats")
        registry.plugins()
        print(",".join(sorted(
            name for name in ("kv_nats.store", "kv_nats.client", "nats") if name in sys.modules
        )))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def test_url_forms() -> None:
    store = kv.connect("nats://u:pw@h1:4223,h2:4224/cache?max_concurrency=8")
    assert isinstance(store, NatsStore)
    options = store.options
    assert (options.user, options.password, options.hosts, options.port) == (
        "u",
        "pw",
        ("h1", "h2"),
        (4223, 4224),
    )
    assert (options.bucket, options.max_concurrency, options.tls) == ("cache", 8, None)
    assert server_urls(options) == ["nats://h1:4223", "nats://h2:4224"]
    assert "pw" not in repr(store)
    assert "pw" not in repr(options)
    plain = NatsStore("nats://localhost")
    assert plain.bucket == "kv"
    assert server_urls(plain.options) == ["nats://localhost:4222"]
    tls = kv.connect("nats+tls://secure/b")
    assert isinstance(tls, NatsStore)
    assert tls.options.tls is True
    assert server_urls(tls.options) == ["tls://secure:4222"]
    assert server_urls(NatsStore("nats://[::1]:5000/b").options) == ["nats://[::1]:5000"]


@pytest.mark.parametrize(
    "url",
    [
        "nats://h/bad.bucket",
        "nats://h/bad bucket",
        "nats://h/a/b",
        "nats://h/b?storage=disk",
        "nats://h/b?max_concurrency=0",
        "nats://h/b?tls_ca_file=/no/such/file",
        "nats://h/b?unknown=1",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises((InvalidOptionError, InvalidURLError)):
        kv.connect(url)


def test_token_is_never_shown() -> None:
    store = kv.connect("nats://h/b?token=s3cr3t-token")
    assert isinstance(store, NatsStore)
    assert store.options.token == "s3cr3t-token"
    assert "s3cr3t" not in repr(store)
    assert "s3cr3t" not in repr(store.options)
    with pytest.raises(InvalidOptionError) as caught:
        NatsOptions(token="x", tls_key_file=__file__)
    assert "tls_cert_file" in str(caught.value)


# --- names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["plain", "a.b", "a=b", "*", ">", "sp ace", "a\x00b", "ünï", "日本", "-_/", "=41", "..", "."],
)
def test_tokens_round_trip(name: str) -> None:
    token = encode_token(name, KEY_LIMIT)
    assert nats.js.kv._is_key_valid(token)  # what nats-py accepts as a key
    assert "." not in token
    assert decode_token(token) == name


def test_foreign_tokens_are_listed_as_they_are() -> None:
    assert decode_token("=FF=FE") == "=FF=FE"
    assert decode_token("a.b") == "a.b"


def test_long_names_are_hashed() -> None:
    long = "k" * 2000
    token = encode_token(long, KEY_LIMIT)
    assert token.startswith("==")
    assert len(token) < 100
    assert decode_token(token) is None
    assert encode_token("k" * 1999 + "j", KEY_LIMIT) != token


# --- layout, as plain nats-py sees it -------------------------------------------------


async def test_layout(store: NatsStore, raw: JetStreamContext, bucket: str) -> None:
    await store.put("al.ice", {"name": "Alice"}, collection="us ers")
    info = await raw.stream_info(f"KV_{bucket}")
    assert info.config.allow_msg_ttl
    assert info.config.allow_direct
    assert info.config.max_msgs_per_subject == 1
    bucket_kv = await raw.key_value(bucket)
    entry = await bucket_kv.get("us=20ers.al=2Eice")
    assert entry.value is not None
    document = json.loads(entry.value)
    assert document["value"] == {"name": "Alice"}
    assert (document["collection"], document["key"]) == ("us ers", "al.ice")
    assert "expires_at" not in document
    assert await store.keys(collection="us ers") == ["al.ice"]
    assert await store.collections() == ["us ers"]


async def test_raw_nats_values_in_kv_format_are_read(
    store: NatsStore, raw: JetStreamContext, bucket: str
) -> None:
    await store.setup()
    bucket_kv = await raw.key_value(bucket)
    document = {"collection": "c", "key": "k", "value": {"n": 1}, "version": 1}
    await bucket_kv.put("c.k", json.dumps(document).encode())
    await bucket_kv.put("c.bad", b"not json")
    assert await store.get("k", collection="c") == {"n": 1}
    with pytest.raises(kv.DeserializationError) as caught:
        await store.get("bad", collection="c")
    assert caught.value.key == "bad"
    await bucket_kv.delete("c.k")  # a nats-py delete marker hides the entry
    assert await store.get("k", collection="c") is None
    await raw.publish(
        f"$KV.{bucket}.c.odd", b"{}", headers={"Kv-Expires-At": "soon", "Kv-Key": "{"}
    )
    assert sorted(await store.keys(collection="c")) == ["bad", "odd"]


async def test_long_names_list_back(store: NatsStore) -> None:
    collection, key = "c" * 600, "ключ" * 400
    await store.put(key, {"v": 1}, collection=collection)
    await store.put("short", {"v": 2}, collection=collection)
    assert await store.get(key, collection=collection) == {"v": 1}
    assert sorted(await store.keys(collection=collection)) == sorted([key, "short"])
    assert await store.collections() == [collection]
    assert await store.delete(key, collection=collection)
    assert await store.keys(collection=collection) == ["short"]


# --- native TTL -----------------------------------------------------------------------


async def test_ttl_is_a_per_message_ttl(
    store: NatsStore, raw: JetStreamContext, bucket: str
) -> None:
    await store.put("short", {"v": 1}, ttl=0.4)
    await store.put("long", {"v": 2}, ttl=3600.5)
    await store.put("never", {"v": 3})
    stream = f"KV_{bucket}"
    long = await raw.get_msg(stream, subject=f"$KV.{bucket}.default_collection.long", direct=True)
    assert long.headers is not None
    assert long.headers["Nats-TTL"] == "3601"  # whole seconds, rounded up
    assert float(long.headers[EXPIRES_HEADER]) > time.time() + 3599
    never = await raw.get_msg(stream, subject=f"$KV.{bucket}.default_collection.never", direct=True)
    assert "Nats-TTL" not in (never.headers or {})
    # kv hides the entry at its exact expiry; the server removes it (after 1 s).
    deadline = time.monotonic() + 30
    while await store.get("short") is not None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert sorted(await store.keys()) == ["long", "never"]
    while True:
        try:
            await raw.get_msg(stream, subject=f"$KV.{bucket}.default_collection.short", direct=True)
        except nats.js.errors.NotFoundError:
            break
        assert time.monotonic() < deadline, "the server kept an expired message"
        await asyncio.sleep(0.1)
    assert await store.put_if_absent("short", {"v": 4})


# --- bulk calls -------------------------------------------------------------------------


async def test_bulk_calls_of_many_keys(store: NatsStore) -> None:
    keys = [f"k{i}" for i in range(600)]
    await store.put_many(keys, [{"i": i} for i in range(600)], collection="bulk", ttl=600)
    values = await store.get_many([*keys, "missing", "k0"], collection="bulk")
    assert values == [*({"i": i} for i in range(600)), None, {"i": 0}]
    assert len(await store.keys(collection="bulk")) == 600
    assert await store.delete_many([*keys[:300], "missing", "k0"], collection="bulk") == 300
    assert len(await store.keys(collection="bulk")) == 300


async def test_concurrent_deletes_count_once(store: NatsStore) -> None:
    await store.put("k", {"v": 1})
    results = await asyncio.gather(*(store.delete("k") for _ in range(20)))
    assert results.count(True) == 1
    keys = [f"k{i}" for i in range(150)]
    await store.put_many(keys, [{}] * 150)
    counts = await asyncio.gather(*(store.delete_many(keys[::step]) for step in (1, 1, 2, 3)))
    assert sum(counts) == 150


async def test_bucket_without_direct_gets(
    nats_url: str, bucket: str, raw: JetStreamContext, doomed_buckets: list[str]
) -> None:
    """Reads go through the JetStream API (STREAM.MSG.GET) one key at a time."""
    doomed_buckets.append(bucket)
    await raw.add_stream(
        name=f"KV_{bucket}",
        subjects=[f"$KV.{bucket}.>"],
        max_msgs_per_subject=1,
        allow_msg_ttl=True,
        allow_rollup_hdrs=True,
    )
    store = NatsStore(f"{nats_url}/{bucket}", auto_create=False)
    keys = [f"k{i}" for i in range(120)]
    await store.put_many(keys, [{"i": i} for i in range(120)], ttl=60)
    assert await store.get_many([*keys, "nope"]) == [*({"i": i} for i in range(120)), None]
    assert await store.delete_many([*keys[:20], "nope"]) == 20
    value, ttl = await store.ttl("k50")
    assert value == {"i": 50}
    assert ttl is not None
    assert 50 < ttl <= 60
    await store.close()


# --- the bucket -------------------------------------------------------------------------


async def test_missing_bucket_without_auto_create(nats_url: str, bucket: str) -> None:
    store = NatsStore(f"{nats_url}/{bucket}", auto_create=False)
    with pytest.raises(StoreSetupError) as caught:
        await store.get("k")
    assert bucket in str(caught.value)
    await store.close()


async def test_memory_bucket_is_created(
    nats_url: str, bucket: str, raw: JetStreamContext, doomed_buckets: list[str]
) -> None:
    doomed_buckets.append(bucket)
    store = NatsStore(f"{nats_url}/{bucket}", storage="memory")
    await store.put("k", {"v": 1})
    info = await raw.stream_info(f"KV_{bucket}")
    assert info.config.storage == api.StorageType.MEMORY
    again = NatsStore(f"{nats_url}/{bucket}", auto_create=False)
    assert await again.get("k") == {"v": 1}
    await again.close()
    await store.close()


async def test_bucket_without_message_ttls_is_refused(
    nats_url: str, bucket: str, raw: JetStreamContext, doomed_buckets: list[str]
) -> None:
    doomed_buckets.append(bucket)
    await raw.add_stream(name=f"KV_{bucket}", subjects=[f"$KV.{bucket}.>"], max_msgs_per_subject=1)
    store = NatsStore(f"{nats_url}/{bucket}")
    with pytest.raises(StoreSetupError) as caught:
        await store.get("k")
    assert "per-message TTL" in str(caught.value)
    await store.close()
