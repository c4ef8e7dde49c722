"""CompressionWrapper: the suite, py-key-value's envelope, plain values, corrupt envelopes."""

from __future__ import annotations

import base64
import gzip
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

import kv
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance
from kv_wrappers import CompressionWrapper
from kv_wrappers.compression import DEFAULT_MAX_DECOMPRESSED_SIZE

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _inner(store: kv.AsyncKeyValue) -> MemoryStore:
    inner = getattr(store, "key_value", None)
    assert isinstance(inner, MemoryStore)
    return inner


class TestCompressionWrapper(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = CompressionWrapper(
            kv.connect("memory://", default_collection=default_collection), min_size_to_compress=64
        )
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        # An envelope whose data is not gzip: the wrapper must not hand it out.
        await _inner(store).put(
            key,
            {
                "__compressed_data__": base64.b64encode(b"not gzip at all").decode(),
                "__compression_version__": 1,
                "__compression_algorithm__": "gzip",
            },
            collection=collection,
        )
        return True


class TestCompressEverything(StoreConformance):
    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = CompressionWrapper(
            kv.connect("memory://", default_collection=default_collection), min_size_to_compress=0
        )
        yield wrapper
        await wrapper.close()


async def test_large_values_are_stored_as_py_key_value_envelopes() -> None:
    inner = kv.connect("memory://")
    store = CompressionWrapper(inner)
    value = {"text": "abc" * 1000}
    await store.put("big", value, collection="c")
    stored = await inner.get("big", collection="c")
    assert stored is not None
    assert set(stored) == {
        "__compressed_data__",
        "__compression_version__",
        "__compression_algorithm__",
    }
    assert stored["__compression_version__"] == 1
    assert stored["__compression_algorithm__"] == "gzip"
    plain = gzip.decompress(base64.b64decode(stored["__compressed_data__"]))
    assert json.loads(plain) == value
    assert len(json.dumps(stored)) < 300
    assert await store.get("big", collection="c") == value


async def test_small_values_are_stored_as_they_are() -> None:
    inner = kv.connect("memory://")
    store = CompressionWrapper(inner)
    await store.put("small", {"v": 1})
    assert await inner.get("small") == {"v": 1}


async def test_threshold_is_inclusive_on_compact_json_size() -> None:
    inner = kv.connect("memory://")
    store = CompressionWrapper(inner, min_size_to_compress=20)
    exactly = {"k": "x" * 12}  # {"k":"xxxxxxxxxxxx"} is 20 bytes
    assert len(json.dumps(exactly, separators=(",", ":"))) == 20
    await store.put("at", exactly)
    await store.put("below", {"k": "x" * 11})
    at = await inner.get("at")
    assert at is not None
    assert "__compressed_data__" in at
    assert await inner.get("below") == {"k": "x" * 11}


async def test_plain_values_written_before_the_wrapper_are_read() -> None:
    inner = kv.connect("memory://")
    await inner.put("old", {"written": "before compression", "blob": "y" * 5000})
    store = CompressionWrapper(inner)
    assert await store.get("old") == {"written": "before compression", "blob": "y" * 5000}
    assert await store.get_many(["old", "missing"]) == [
        {"written": "before compression", "blob": "y" * 5000},
        None,
    ]


async def test_value_that_looks_like_an_envelope_round_trips() -> None:
    inner = kv.connect("memory://")
    store = CompressionWrapper(inner)
    tricky = {"__compressed_data__": "not really", "other": 1}
    await store.put("tricky", tricky)
    assert await store.get("tricky") == tricky
    stored = await inner.get("tricky")
    assert stored is not None
    assert stored["__compressed_data__"] != "not really"


@pytest.mark.parametrize(
    "envelope",
    [
        {"__compressed_data__": "!!!not base64", "__compression_version__": 1},
        {"__compressed_data__": base64.b64encode(b"plain").decode()},
        {"__compressed_data__": 42},
        {
            "__compressed_data__": base64.b64encode(gzip.compress(b"[1, 2]")).decode(),
            "__compression_version__": 1,
        },
        {
            "__compressed_data__": base64.b64encode(gzip.compress(b"{}")).decode(),
            "__compression_version__": 2,
        },
        {
            "__compressed_data__": base64.b64encode(gzip.compress(b"{}")).decode(),
            "__compression_algorithm__": "zstd",
        },
    ],
    ids=["bad-base64", "not-gzip", "not-text", "not-an-object", "newer-version", "other-algorithm"],
)
async def test_corrupt_envelope_raises_deserialization_error(envelope: dict[str, Any]) -> None:
    inner = kv.connect("memory://")
    await inner.put("bad", envelope, collection="c")
    await inner.put("fine", {"v": 1}, collection="c")
    store = CompressionWrapper(inner)
    with pytest.raises(kv.DeserializationError) as caught:
        await store.get("bad", collection="c")
    assert "bad" in str(caught.value)
    assert "'c'" in str(caught.value)
    with pytest.raises(kv.DeserializationError):
        await store.ttl_many(["fine", "bad"], collection="c")
    assert await store.get("fine", collection="c") == {"v": 1}


async def test_reads_what_py_key_value_compressed() -> None:
    from key_value.aio.stores.memory import MemoryStore as PyMemoryStore
    from key_value.aio.wrappers.compression import CompressionWrapper as PyCompression

    py_inner = PyMemoryStore()
    py_store = PyCompression(py_inner, min_size_to_compress=10)
    value = {"text": "hello " * 100, "n": [1, 2, 3]}
    await py_store.put("k", value, collection="c")
    envelope = await py_inner.get("k", collection="c")
    assert envelope is not None

    inner = kv.connect("memory://")
    await inner.put("k", envelope, collection="c")
    assert await CompressionWrapper(inner).get("k", collection="c") == value

    ours = kv.connect("memory://")
    await CompressionWrapper(ours, min_size_to_compress=10).put("k", value, collection="c")
    mine = await ours.get("k", collection="c")
    assert mine is not None
    await py_inner.put("mine", mine, collection="c")
    assert await py_store.get("mine", collection="c") == value


async def test_capabilities_pass_through_but_not_the_size_limit() -> None:
    store = CompressionWrapper(kv.connect("memory://"), min_size_to_compress=0)
    assert isinstance(store, kv.EnumerateKeys)
    await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="c")
    assert sorted(await store.keys("c")) == ["a", "b"]
    assert store.capabilities.max_value_size is None


def test_bad_options_are_refused() -> None:
    with pytest.raises(kv.InvalidOptionError):
        CompressionWrapper(kv.connect("memory://"), min_size_to_compress=-1)
    with pytest.raises(kv.InvalidOptionError):
        CompressionWrapper(kv.connect("memory://"), compression_level=0)


# --- decompression is bounded: a small stored value cannot expand without limit ---


def _bomb(megabytes: int) -> dict[str, Any]:
    """An envelope of gzip of ``{"a": "xxx..."}``, ``megabytes`` MiB of JSON, built in steps."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(b'{"a": "')]
    block = b"x" * (1024 * 1024)
    parts.extend(packer.compress(block) for _ in range(megabytes))
    parts.append(packer.compress(b'"}') + packer.flush())
    return {
        "__compressed_data__": base64.b64encode(b"".join(parts)).decode("ascii"),
        "__compression_version__": 1,
        "__compression_algorithm__": "gzip",
    }


async def test_a_compression_bomb_is_refused_without_being_inflated() -> None:
    envelope = _bomb(300)
    stored = len(envelope["__compressed_data__"])
    assert stored < 1024 * 1024, "a few hundred KB stored..."
    inner = kv.connect("memory://")
    await inner.put("bomb", envelope, collection="c")
    await inner.put("fine", {"v": 1}, collection="c")
    store = CompressionWrapper(inner)
    assert store.max_decompressed_size == DEFAULT_MAX_DECOMPRESSED_SIZE == 32 * 1024 * 1024

    tracemalloc.start()
    try:
        with pytest.raises(kv.DeserializationError) as caught:
            await store.get("bomb", collection="c")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # ... would be 300 MiB of JSON: the read stops at the limit instead.
    assert peak < 2 * DEFAULT_MAX_DECOMPRESSED_SIZE, f"the read allocated {peak} bytes"
    message = str(caught.value)
    assert "max_decompressed_size" in message
    assert caught.value.key == "bomb"
    assert caught.value.collection == "c"
    assert caught.value.store == "CompressionWrapper"
    assert "xxxx" not in message
    assert envelope["__compressed_data__"][:40] not in message
    with pytest.raises(kv.DeserializationError, match="max_decompressed_size"):
        await store.get_many(["fine", "bomb"], collection="c")
    assert await store.get("fine", collection="c") == {"v": 1}

    # Who trusts the data may lift the limit.
    lifted = CompressionWrapper(inner, max_decompressed_size=None)
    assert await lifted.get("fine", collection="c") == {"v": 1}


async def test_the_limit_is_enforced_on_writes_too() -> None:
    inner = kv.connect("memory://")
    store = CompressionWrapper(inner, min_size_to_compress=0, max_decompressed_size=1000)
    small = {"text": "y" * 900}
    await store.put("small", small, collection="c")
    assert await store.get("small", collection="c") == small
    big = {"text": "z" * 2000}
    with pytest.raises(kv.EntryTooLargeError) as caught:
        await store.put("big", big, collection="c")
    assert caught.value.key == "big"
    assert caught.value.collection == "c"
    assert caught.value.limit == 1000
    assert "zzzz" not in str(caught.value)
    assert await inner.get("big", collection="c") is None, "nothing was written"
    # What another writer stored beyond the limit is refused when read.
    await CompressionWrapper(inner, min_size_to_compress=0).put("other", big, collection="c")
    with pytest.raises(kv.DeserializationError, match="max_decompressed_size"):
        await store.get("other", collection="c")


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10", True])
def test_bad_decompression_limit_is_refused(bad: Any) -> None:
    with pytest.raises(kv.InvalidOptionError, match="max_decompressed_size"):
        CompressionWrapper(kv.connect("memory://"), max_decompressed_size=bad)
