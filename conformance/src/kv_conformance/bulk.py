"""The bulk rules: order, duplicates, empty input, length mismatch."""

from __future__ import annotations

import pytest

import kv
from kv_conformance.support import Miss, capabilities_of

__all__ = ["BulkTests"]


class BulkTests:
    """Bulk calls answer one result per input key, in input order."""

    large_batch_size: int = 2500
    """How many keys the large-batch test writes in one put_many (lower it only
    for a backend whose every call rewrites all its data, and say why)."""

    async def test_get_many_keeps_input_order_and_duplicates(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        await store.put_many(
            ["a", "b", "c"], [{"v": "a"}, {"v": "b"}, {"v": "c"}], collection="test"
        )
        got = await store.get_many(["c", "a", "missing", "c", "b", "a"], collection="test")
        assert got == [{"v": "c"}, {"v": "a"}, miss.value, {"v": "c"}, {"v": "b"}, {"v": "a"}]

    async def test_duplicates_in_get_many_are_separate_copies(
        self, store: kv.AsyncKeyValue
    ) -> None:
        await store.put("a", {"list": [1]}, collection="test")
        first, second = await store.get_many(["a", "a"], collection="test")
        assert first is not None
        assert second is not None
        first["list"].append(2)
        assert second == {"list": [1]}

    async def test_ttl_many_keeps_input_order_and_duplicates(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        await store.put_many(["a", "b"], [{"v": "a"}, {"v": "b"}], collection="test")
        got = await store.ttl_many(["b", "missing", "a", "b"], collection="test")
        assert [value for value, _ in got] == [{"v": "b"}, miss.value, {"v": "a"}, {"v": "b"}]

    async def test_empty_lists_are_no_ops(self, store: kv.AsyncKeyValue) -> None:
        assert await store.get_many([], collection="test") == []
        assert await store.ttl_many([], collection="test") == []
        await store.put_many([], [], collection="test")
        assert await store.delete_many([], collection="test") == 0

    async def test_length_mismatch_raises_before_writing(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        with pytest.raises(ValueError, match=r"nothing was written"):
            await store.put_many(["a", "b"], [{"v": 1}], collection="test")
        with pytest.raises(ValueError, match=r"nothing was written"):
            await store.put_many(["a"], [{"v": 1}, {"v": 2}], collection="test")
        assert await store.get_many(["a", "b"], collection="test") == miss.values(2)

    async def test_last_duplicate_put_wins(self, store: kv.AsyncKeyValue) -> None:
        await store.put_many(["a", "b", "a"], [{"v": 1}, {"v": 2}, {"v": 3}], collection="test")
        assert await store.get_many(["a", "b"], collection="test") == [{"v": 3}, {"v": 2}]

    async def test_delete_many_counts_each_existing_key_once(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="test")
        assert await store.delete_many(["a", "a", "b", "missing"], collection="test") == 2
        assert await store.get_many(["a", "b"], collection="test") == miss.values(2)

    async def test_large_batch(self, store: kv.AsyncKeyValue) -> None:
        if capabilities_of(store).bounded:
            pytest.skip("a bounded store cannot hold this many entries")
        keys = [f"key-{i}" for i in range(self.large_batch_size)]
        values = [{"i": i} for i in range(self.large_batch_size)]
        await store.put_many(keys, values, collection="test")
        assert await store.get_many(keys, collection="test") == values
        assert await store.delete_many(keys, collection="test") == self.large_batch_size
