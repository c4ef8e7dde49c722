"""The rules for names, values and collections that every store follows."""

from __future__ import annotations

from typing import Any

import pytest

import kv
from kv_conformance.cases import ODD_NAMES
from kv_conformance.support import Miss, each_case

__all__ = ["COLLIDING_PAIRS", "NEAR_NAMES", "NameTests", "NearNameTests", "ValueRuleTests"]


class ValueRuleTests:
    """Values are copies, ``{}`` is a value, nothing is written on refusal."""

    async def test_empty_object_is_a_value(self, store: kv.AsyncKeyValue) -> None:
        await store.put("empty", {}, collection="test")
        assert await store.get("empty", collection="test") == {}
        assert await store.ttl("empty", collection="test") == ({}, None)
        assert await store.delete("empty", collection="test") is True

    async def test_reads_never_return_live_objects(self, store: kv.AsyncKeyValue) -> None:
        original: dict[str, Any] = {"list": [1, 2], "nested": {"a": 1}}
        await store.put("key", original, collection="test")
        original["list"].append(3)
        original["nested"]["a"] = 99
        first = await store.get("key", collection="test")
        assert first == {"list": [1, 2], "nested": {"a": 1}}
        assert first is not None
        first["list"].append(4)
        first["nested"]["b"] = 2
        assert await store.get("key", collection="test") == {"list": [1, 2], "nested": {"a": 1}}

    async def test_read_results_are_plain_dicts(self, store: kv.AsyncKeyValue) -> None:
        await store.put("key", {"a": {"b": [1]}}, collection="test")
        got = await store.get("key", collection="test")
        assert type(got) is dict
        many = await store.get_many(["key"], collection="test")
        assert type(many[0]) is dict

    async def test_mapping_that_is_not_a_dict_is_accepted(self, store: kv.AsyncKeyValue) -> None:
        from types import MappingProxyType

        await store.put("key", MappingProxyType({"a": 1}), collection="test")
        assert await store.get("key", collection="test") == {"a": 1}


COLLIDING_PAIRS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    # case: ((collection, key), (collection, key))
    "double-colon": (("a::b", "c"), ("a", "b::c")),
    "colons": (("a:", ":b"), ("a", "::b")),
    "slash": (("a/b", "c"), ("a", "b/c")),
    "double-underscore": (("a__b", "c"), ("a", "b__c")),
    "escape-lookalike": (("a%3A", "b"), ("a:", "b")),
    "case": (("a", "b"), ("A", "b")),
    "dot": (("a.b", "c"), ("a", "b.c")),
    "slash-vs-none": (("ab", "c"), ("a/b", "c")),
}
"""Pairs of (collection, key) that a naive compound key or path would conflate."""


class NameTests:
    """Keys and collections: any non-empty UTF-8 string, never colliding."""

    async def test_odd_key_round_trip(self, store: kv.AsyncKeyValue) -> None:
        async def check(case: str, key: str) -> None:
            await store.put(key, {"case": case}, collection="test")
            assert await store.get(key, collection="test") == {"case": case}
            assert await store.get_many([key], collection="test") == [{"case": case}]
            assert await store.delete(key, collection="test") is True

        await each_case(ODD_NAMES, check)

    async def test_odd_collection_round_trip(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        async def check(case: str, collection: str) -> None:
            await store.put("key", {"case": case}, collection=collection)
            assert await store.get("key", collection=collection) == {"case": case}
            assert await store.get("key", collection="test") == miss.value
            assert await store.delete("key", collection=collection) is True

        await each_case(ODD_NAMES, check)

    async def test_all_odd_names_are_distinct(self, store: kv.AsyncKeyValue) -> None:
        names = sorted(ODD_NAMES)
        keys = [ODD_NAMES[name] for name in names]
        await store.put_many(keys, [{"case": name} for name in names], collection="test")
        got = await store.get_many(keys, collection="test")
        assert got == [{"case": name} for name in names]

    async def test_no_two_pairs_share_storage(self, store: kv.AsyncKeyValue) -> None:
        async def check(case: str, pairs: tuple[tuple[str, str], tuple[str, str]]) -> None:
            first, second = pairs
            await store.put(first[1], {"pair": "first"}, collection=first[0])
            await store.put(second[1], {"pair": "second"}, collection=second[0])
            assert await store.get(first[1], collection=first[0]) == {"pair": "first"}
            assert await store.get(second[1], collection=second[0]) == {"pair": "second"}

        await each_case(COLLIDING_PAIRS, check)

    async def test_long_collection_name(self, store: kv.AsyncKeyValue) -> None:
        collection = "test_collection" * 100
        await store.put("key", {"v": 1}, collection=collection)
        assert await store.get("key", collection=collection) == {"v": 1}

    async def test_long_key_name(self, store: kv.AsyncKeyValue) -> None:
        key = "test_key" * 100
        await store.put(key, {"v": 1}, collection="test")
        assert await store.get(key, collection="test") == {"v": 1}

    async def test_keys_differing_only_after_a_long_prefix(self, store: kv.AsyncKeyValue) -> None:
        prefix = "p" * 2000
        await store.put(prefix + "1", {"v": 1}, collection="test")
        await store.put(prefix + "2", {"v": 2}, collection="test")
        assert await store.get(prefix + "1", collection="test") == {"v": 1}
        assert await store.get(prefix + "2", collection="test") == {"v": 2}

    async def test_invalid_key_is_refused(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        async def check(case: str, bad: str) -> None:
            with pytest.raises(kv.InvalidKeyError):
                await store.put(bad, {"v": 1}, collection="test")
            with pytest.raises(kv.InvalidKeyError):
                await store.get(bad, collection="test")
            with pytest.raises(kv.InvalidKeyError):
                await store.put_many(["fine", bad], [{"v": 1}, {"v": 2}], collection="test")
            with pytest.raises(kv.InvalidKeyError):
                await store.delete_many(["fine", bad], collection="test")
            assert await store.get("fine", collection="test") == miss.value

        await each_case({"empty": "", "lone-surrogate": "\ud800"}, check)

    async def test_invalid_collection_is_refused(self, store: kv.AsyncKeyValue) -> None:
        async def check(case: str, bad: str) -> None:
            with pytest.raises(kv.InvalidKeyError):
                await store.put("key", {"v": 1}, collection=bad)
            with pytest.raises(kv.InvalidKeyError):
                await store.get("key", collection=bad)
            with pytest.raises(kv.InvalidKeyError):
                await store.get_many(["key"], collection=bad)

        await each_case({"empty": "", "lone-surrogate": "\udfff"}, check)

    async def test_key_that_is_not_a_string_is_refused(self, store: kv.AsyncKeyValue) -> None:
        async def check(case: str, bad: Any) -> None:
            with pytest.raises((kv.InvalidKeyError, TypeError)):
                await store.put(bad, {"v": 1}, collection="test")
            with pytest.raises((kv.InvalidKeyError, TypeError)):
                await store.get(bad, collection="test")

        cases: dict[str, Any] = {"int": 1, "none": None, "bytes": b"bytes", "tuple": ("tuple",)}
        await each_case(cases, check)

    async def test_default_collection(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        await store.put("key", {"where": "default"})
        assert await store.get("key") == {"where": "default"}
        assert await store.get("key", collection="test") == miss.value
        default = getattr(store, "default_collection", None)
        if isinstance(default, str):
            assert await store.get("key", collection=default) == {"where": "default"}
        await store.put_many(["a", "b"], [{"n": 1}, {"n": 2}])
        assert await store.get_many(["a", "b"]) == [{"n": 1}, {"n": 2}]
        assert await store.ttl("a") == ({"n": 1}, None)
        assert await store.delete("key") is True
        assert await store.delete_many(["a", "b"]) == 2

    async def test_same_key_in_two_collections(self, store: kv.AsyncKeyValue) -> None:
        await store.put("key", {"in": "one"}, collection="one")
        await store.put("key", {"in": "two"}, collection="two")
        assert await store.get("key", collection="one") == {"in": "one"}
        assert await store.get("key", collection="two") == {"in": "two"}
        assert await store.delete("key", collection="one") is True
        assert await store.get("key", collection="two") == {"in": "two"}


_LONG = "c" * 3000
NEAR_NAMES: dict[str, tuple[str, str]] = {
    "leading-space": ("name", " name"),
    "trailing-space": ("name", "name "),
    "trailing-tab": ("name", "name\t"),
    "trailing-newline": ("name", "name\n"),
    "nbsp": ("name", "name\u00a0"),
    "nul-and-after": ("name", "name\x00tail"),
    "nul-only": ("name", "name\x00"),
    "nfc-nfd": ("caf\u00e9", "cafe\u0301"),
    "case": ("Name", "name"),
    "long-differ-at-end": (_LONG + "1", _LONG + "2"),
    "long-prefix-of-other": (_LONG, _LONG + "x"),
}
"""Pairs of names that are easy to conflate (trimmed, truncated at a NUL,
normalised, case-folded, cut at a length limit), yet are two distinct names."""


class NearNameTests:
    """Names that look alike are still different names, stored and listed exactly."""

    async def test_near_keys_are_distinct(self, store: kv.AsyncKeyValue) -> None:
        async def check(case: str, pair: tuple[str, str]) -> None:
            first, second = pair
            collection = f"near-{case}"
            await store.put(first, {"which": 1}, collection=collection)
            await store.put(second, {"which": 2}, collection=collection)
            assert await store.get(first, collection=collection) == {"which": 1}
            assert await store.get(second, collection=collection) == {"which": 2}
            assert await store.get_many([second, first], collection=collection) == [
                {"which": 2},
                {"which": 1},
            ]
            if isinstance(store, kv.EnumerateKeys):
                assert sorted(await store.keys(collection)) == sorted([first, second])
            assert await store.delete(first, collection=collection) is True
            assert await store.get(second, collection=collection) == {"which": 2}

        await each_case(NEAR_NAMES, check)

    async def test_near_collections_are_distinct(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        async def check(case: str, pair: tuple[str, str]) -> None:
            first, second = pair
            await store.put(case, {"which": 1}, collection=first)
            await store.put(case, {"which": 2}, collection=second)
            assert await store.get(case, collection=first) == {"which": 1}
            assert await store.get(case, collection=second) == {"which": 2}
            if isinstance(store, kv.EnumerateCollections):
                listed = await store.collections()
                assert first in listed
                assert second in listed
                assert len(listed) == len(set(listed))
            if isinstance(store, kv.EnumerateKeys):
                assert await store.keys(first) == [case]
            if isinstance(store, kv.DestroyCollection):
                assert await store.destroy_collection(first) is True
                assert await store.get(case, collection=first) == miss.value
                assert await store.get(case, collection=second) == {"which": 2}
            await store.delete_many([case], collection=first)
            await store.delete_many([case], collection=second)

        await each_case(NEAR_NAMES, check)
