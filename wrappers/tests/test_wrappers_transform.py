"""ValueTransformWrapper: a third-party value-transform wrapper written on the base.

``Reversed`` below is what a plugin author writes: two hooks, nothing else.
The base applies them to single and bulk calls, in input order, names the
wrapper, collection and key in every error, and drops what the encoder drops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import kv
from kv.errors import DeserializationError, EntryTooSmallError
from kv.stores.memory import MemoryStore
from kv.values import dump_value, load_value
from kv_conformance import StoreConformance
from kv_wrappers import (
    CompressionWrapper,
    FernetEncryptionWrapper,
    LimitSizeWrapper,
    ValueTransformWrapper,
)
from kv_wrappers.transform import DROP, Encoded

pytestmark = pytest.mark.anyio

FIELD = "__reversed__"


class Reversed(ValueTransformWrapper):
    """Store each value as its JSON text backwards (an example, not a good idea)."""

    def _encode_value(
        self, value: Mapping[str, Any], *, key: str, collection: str | None
    ) -> Mapping[str, Any]:
        return {FIELD: dump_value(value)[::-1]}

    def _decode_value(
        self, stored: dict[str, Any], *, key: str, collection: str | None
    ) -> dict[str, Any] | None:
        text = stored.get(FIELD)
        if not isinstance(text, str):
            raise DeserializationError("The stored value was not written by Reversed")
        return load_value(text[::-1])


class SkipEmpty(ValueTransformWrapper):
    """Do not write empty values; reads are not changed (only the encoder is written)."""

    def _encode_value(
        self, value: Mapping[str, Any], *, key: str, collection: str | None
    ) -> Encoded:
        return DROP if dump_value(value) == "{}" else value


class Lenient(Reversed):
    """Read a value Reversed cannot read as missing."""

    def _decode_value(
        self, stored: dict[str, Any], *, key: str, collection: str | None
    ) -> dict[str, Any] | None:
        if FIELD not in stored:
            return None
        return super()._decode_value(stored, key=key, collection=collection)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestThirdPartyTransform(StoreConformance):
    """The whole suite passes through a wrapper that is only its two hooks."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = Reversed(kv.connect("memory://", default_collection=default_collection))
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner = getattr(store, "key_value", None)
        assert isinstance(inner, MemoryStore)
        await inner.put(key, {FIELD: "}cnurt"}, collection=collection)
        return True


def _pair() -> tuple[kv.AsyncKeyValue, Reversed]:
    inner = kv.connect("memory://")
    return inner, Reversed(inner)


async def test_single_calls_encode_on_the_way_in_and_decode_on_the_way_out() -> None:
    inner, store = _pair()
    await store.put("k", {"a": [1, 2]}, collection="c", ttl=60)
    assert await inner.get("k", collection="c") == {FIELD: '}]2,1[:"a"{'}
    assert await store.get("k", collection="c") == {"a": [1, 2]}
    value, remaining = await store.ttl("k", collection="c")
    assert value == {"a": [1, 2]}
    assert remaining is not None
    assert 0 < remaining <= 60
    assert await store.get("missing", collection="c") is None
    assert await store.ttl("missing", collection="c") == (None, None)


async def test_bulk_calls_keep_input_order() -> None:
    inner, store = _pair()
    keys = ["z", "a", "m", "b"]
    await store.put_many(keys, [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}], collection="c")
    assert await inner.get_many(["a", "z"], collection="c") == [
        {FIELD: '}1:"n"{'},
        {FIELD: '}0:"n"{'},
    ]
    wanted = ["m", "missing", "z", "b", "a"]
    assert await store.get_many(wanted, collection="c") == [
        {"n": 2},
        None,
        {"n": 0},
        {"n": 3},
        {"n": 1},
    ]
    with_ttl = await store.ttl_many(wanted, collection="c")
    assert [value for value, _ in with_ttl] == [{"n": 2}, None, {"n": 0}, {"n": 3}, {"n": 1}]
    assert [remaining for _, remaining in with_ttl] == [None] * 5
    assert await store.get_many([], collection="c") == []
    assert await store.delete_many(["a", "b", "missing"], collection="c") == 2


async def test_a_value_that_cannot_be_decoded_names_wrapper_collection_and_key() -> None:
    inner, store = _pair()
    await store.put("fine", {"v": 1})
    await inner.put("plain", {"v": 2})
    with pytest.raises(DeserializationError) as caught:
        await store.get("plain")
    assert caught.value.key == "plain"
    assert caught.value.collection == "default_collection"
    assert caught.value.store == "Reversed"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    for call in (store.get_many, store.ttl_many):
        with pytest.raises(DeserializationError) as in_bulk:
            await call(["fine", "plain"])
        assert in_bulk.value.key == "plain"
    assert await store.get("fine") == {"v": 1}


async def test_a_refused_value_names_the_wrapper_and_nothing_of_put_many_is_written() -> None:
    inner, store = _pair()
    with pytest.raises(kv.SerializationError) as caught:
        await store.put_many(["a", "b", "c"], [{"v": 1}, {"v": {1, 2}}, {"v": 3}], collection="c")
    assert caught.value.key == "b"
    assert caught.value.collection == "c"
    assert caught.value.store == "Reversed"
    assert await inner.get_many(["a", "b", "c"], collection="c") == [None, None, None]
    with pytest.raises(ValueError, match="2 keys but 1 values"):
        await store.put_many(["a", "b"], [{"v": 1}])


async def test_a_decoder_may_read_a_value_as_missing() -> None:
    inner = kv.connect("memory://")
    store = Lenient(inner)
    await inner.put("plain", {"v": 1}, ttl=60)
    await store.put("fine", {"v": 2}, ttl=60)
    assert await store.get("plain") is None
    assert await store.ttl("plain") == (None, None)
    ttls = await store.ttl_many(["plain", "fine"])
    assert ttls[0] == (None, None)
    assert ttls[1][0] == {"v": 2}


async def test_dropped_values_are_not_written_and_the_call_is_still_checked() -> None:
    inner = kv.connect("memory://")
    store = SkipEmpty(inner)
    await store.put("k", {"v": 1})
    await store.put("k", {})
    assert await inner.get("k") == {"v": 1}, "a dropped write leaves the earlier value"
    await store.put_many(["a", "b", "c"], [{"v": "a"}, {}, {"v": "c"}], ttl=60)
    assert await inner.get_many(["a", "b", "c"]) == [{"v": "a"}, None, {"v": "c"}]
    with pytest.raises(kv.InvalidKeyError):
        await store.put("", {})
    with pytest.raises(kv.InvalidTTLError):
        await store.put_many(["a"], [{}], ttl=-1)
    with pytest.raises(kv.InvalidKeyError):
        await store.put("k", {}, collection="")


async def test_a_wrapper_without_a_decoder_reads_straight_through() -> None:
    inner = kv.connect("memory://")
    store = SkipEmpty(inner)
    await inner.put("k", {"v": 1}, ttl=60)
    assert await store.get("k") == {"v": 1}
    assert await store.get_many(["k", "missing"]) == [{"v": 1}, None]
    value, remaining = await store.ttl("k")
    assert value == {"v": 1}
    assert remaining is not None


def test_capabilities_pass_through_a_transform_wrapper() -> None:
    store = Reversed(kv.connect("memory://"))
    assert isinstance(store, kv.EnumerateKeys)
    assert isinstance(store, kv.DestroyStore)
    assert isinstance(store, ValueTransformWrapper)
    assert not isinstance(Reversed(kv.connect("null://")), kv.EnumerateKeys)


def test_the_three_value_wrappers_write_only_their_hooks() -> None:
    for cls in (CompressionWrapper, FernetEncryptionWrapper, LimitSizeWrapper):
        assert issubclass(cls, ValueTransformWrapper)
        for method in ("get", "ttl", "put", "get_many", "ttl_many", "put_many"):
            assert method not in cls.__dict__, f"{cls.__name__}.{method} is the base's"


async def test_limit_size_errors_still_name_the_key_through_the_base() -> None:
    store = LimitSizeWrapper(kv.connect("memory://"), min_size=50, raise_on_too_small=True)
    with pytest.raises(EntryTooSmallError) as caught:
        await store.put_many(["ok", "tiny"], [{"v": "x" * 60}, {"v": 1}], collection="c")
    assert (caught.value.key, caught.value.collection, caught.value.store) == (
        "tiny",
        "c",
        "LimitSizeWrapper",
    )


async def test_the_example_in_the_docs_works() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "wrappers.md"
    section = docs.read_text(encoding="utf-8").split("## Writing a value-transform wrapper", 1)[1]
    source = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(source, str(docs), "exec"), namespace)  # the docs page's own example
    inner = kv.connect("memory://")
    store = namespace["Reversed"](inner)
    await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="c")
    assert await inner.get("a", collection="c") == {FIELD: "}1:" + '"v"{'}
    assert await store.get_many(["b", "a"], collection="c") == [{"v": 2}, {"v": 1}]
    await inner.put("plain", {"v": 3}, collection="c")
    with pytest.raises(DeserializationError) as caught:
        await store.get("plain", collection="c")
    assert (caught.value.key, caught.value.store) == ("plain", "Reversed")
