"""Basic behaviour: py-key-value's 36 shared tests, in kv's words."""

from __future__ import annotations

import hashlib
from typing import Any

import anyio
import pytest

import kv
from kv_conformance.cases import LARGE_VALUES, NEGATIVE_VALUES, ROUND_TRIP_VALUES
from kv_conformance.support import Miss, capabilities_of, each_case, reads_only

__all__ = ["BasicTests"]


class BasicTests:
    """Get, put, delete and their bulk forms on one collection."""

    @reads_only
    async def test_is_async_key_value(self, store: kv.AsyncKeyValue) -> None:
        assert isinstance(store, kv.AsyncKeyValue)

    @reads_only
    async def test_get_on_empty_store_is_none(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        assert await store.get("missing", collection="test") == miss.value

    async def test_put_on_empty_store(self, store: kv.AsyncKeyValue) -> None:
        await store.put("key", {"a": 1}, collection="test")

    @reads_only
    async def test_ttl_on_empty_store(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        assert await store.ttl("missing", collection="test") == miss.ttl

    async def test_get_put_get(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        assert await store.get("key", collection="test") == miss.value
        await store.put("key", {"name": "Alice", "age": 30}, collection="test")
        assert await store.get("key", collection="test") == {"name": "Alice", "age": 30}

    async def test_value_round_trip(self, store: kv.AsyncKeyValue) -> None:
        async def check(case: str, pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
            value, expected = pair
            await store.put("key", value, collection="test")
            assert await store.get("key", collection="test") == expected

        await each_case(ROUND_TRIP_VALUES, check)

    async def test_value_that_is_not_strict_json_is_refused(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        await store.put("key", {"before": True}, collection="test")

        async def check(case: str, value: Any) -> None:
            with pytest.raises((kv.SerializationError, TypeError)):
                await store.put("key", value, collection="test")
            with pytest.raises((kv.SerializationError, TypeError)):
                await store.put_many(["key", "other"], [{"fine": 1}, value], collection="test")
            assert await store.get("key", collection="test") == {"before": True}
            assert await store.get("other", collection="test") == miss.value

        await each_case(NEGATIVE_VALUES, check)

    async def test_serialization_error_names_key_and_collection(
        self, store: kv.AsyncKeyValue
    ) -> None:
        with pytest.raises(kv.SerializationError) as caught:
            await store.put("the-key", {"when": {1, 2}}, collection="the-collection")
        assert "the-key" in str(caught.value)
        assert "the-collection" in str(caught.value)

    async def test_large_value_round_trip(self, store: kv.AsyncKeyValue) -> None:
        async def check(case: str, value: dict[str, Any]) -> None:
            await store.put("key", value, collection="test")
            assert await store.get("key", collection="test") == value

        await each_case(LARGE_VALUES, check)

    async def test_one_megabyte_value(self, store: kv.AsyncKeyValue) -> None:
        limit = capabilities_of(store).max_value_size
        if limit is not None and limit < 1_100_000:
            pytest.skip(f"the store takes values of at most {limit} bytes")
        value = {"blob": "x" * 1_000_000, "n": 1}
        await store.put("big", value, collection="test")
        assert await store.get("big", collection="test") == value

    async def test_put_many_get(self, store: kv.AsyncKeyValue) -> None:
        await store.put_many(["k1", "k2"], [{"v": 1}, {"v": 2}], collection="test")
        assert await store.get("k1", collection="test") == {"v": 1}
        assert await store.get("k2", collection="test") == {"v": 2}

    async def test_put_many_get_many(self, store: kv.AsyncKeyValue) -> None:
        await store.put_many(["k1", "k2"], [{"v": 1}, {"v": 2}], collection="test")
        assert await store.get_many(["k1", "k2"], collection="test") == [{"v": 1}, {"v": 2}]

    async def test_put_put_get_many(self, store: kv.AsyncKeyValue) -> None:
        await store.put("k1", {"v": 1}, collection="test")
        await store.put("k2", {"v": 2}, collection="test")
        assert await store.get_many(["k1", "k2"], collection="test") == [{"v": 1}, {"v": 2}]

    async def test_get_many_with_one_missing(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        await store.put("k1", {"v": 1}, collection="test")
        await store.put("k2", {"v": 2}, collection="test")
        got = await store.get_many(["k1", "k2", "k3"], collection="test")
        assert got == [{"v": 1}, {"v": 2}, miss.value]

    async def test_put_get_delete_get(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        await store.put("key", {"v": 1}, collection="test")
        assert await store.get("key", collection="test") == {"v": 1}
        assert await store.delete("key", collection="test") is True
        assert await store.get("key", collection="test") == miss.value

    async def test_put_many_get_delete_many_get_many(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        await store.put_many(["k1", "k2"], [{"v": 1}, {"v": 2}], collection="test")
        assert await store.get("k1", collection="test") == {"v": 1}
        assert await store.delete_many(["k1", "k2"], collection="test") == 2
        assert await store.get_many(["k1", "k2"], collection="test") == miss.values(2)

    async def test_put_many_get_many_delete_many_get_many(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        await store.put_many(["k1", "k2"], [{"v": 1}, {"v": 2}], collection="test")
        assert await store.get_many(["k1", "k2"], collection="test") == [{"v": 1}, {"v": 2}]
        assert await store.delete_many(["k1", "k2"], collection="test") == 2
        assert await store.get_many(["k1", "k2"], collection="test") == miss.values(2)

    async def test_put_many_with_tuple_of_values(self, store: kv.AsyncKeyValue) -> None:
        await store.put_many(("k1", "k2"), ({"v": 1}, {"v": 2}), collection="test")
        assert await store.get_many(["k1", "k2"], collection="test") == [{"v": 1}, {"v": 2}]

    async def test_delete_missing_is_false(self, store: kv.AsyncKeyValue) -> None:
        assert await store.delete("missing", collection="test") is False

    async def test_put_delete_delete(self, store: kv.AsyncKeyValue) -> None:
        await store.put("key", {"v": 1}, collection="test")
        assert await store.delete("key", collection="test") is True
        assert await store.delete("key", collection="test") is False

    async def test_delete_many_missing_is_zero(self, store: kv.AsyncKeyValue) -> None:
        assert await store.delete_many(["a", "b"], collection="test") == 0

    async def test_delete_many_counts_present_keys(self, store: kv.AsyncKeyValue) -> None:
        await store.put("present", {"v": 1}, collection="test")
        assert await store.delete_many(["present", "missing"], collection="test") == 1

    async def test_delete_many_twice(self, store: kv.AsyncKeyValue) -> None:
        await store.put("present", {"v": 1}, collection="test")
        assert await store.delete_many(["present", "missing"], collection="test") == 1
        assert await store.delete_many(["present", "missing"], collection="test") == 0

    async def test_get_put_get_delete_get(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        assert await store.get("key", collection="test") == miss.value
        await store.put("key", {"v": 1}, collection="test")
        assert await store.get("key", collection="test") == {"v": 1}
        assert await store.delete("key", collection="test") is True
        assert await store.get("key", collection="test") == miss.value

    async def test_overwrite_returns_new_value(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        await store.put("key", {"v": 1}, collection="test")
        await store.put("key", {"v": 2, "extra": True}, collection="test")
        assert await store.get("key", collection="test") == {"v": 2, "extra": True}
        assert await store.delete("key", collection="test") is True
        assert await store.get("key", collection="test") == miss.value

    async def test_put_many_then_single_deletes(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        await store.put_many(["k1", "k2"], [{"v": 1}, {"v": 2}], collection="test")
        assert await store.delete("k1", collection="test") is True
        assert await store.delete("k2", collection="test") is True
        assert await store.get_many(["k1", "k2"], collection="test") == miss.values(2)

    async def test_concurrent_tasks(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        failures: list[str] = []

        async def worker(worker_id: int) -> None:
            for i in range(5):
                key = f"w{worker_id}-k{i}"
                if await store.get(key, collection="test") != miss.value:
                    failures.append(f"{key} present before put")
                await store.put(key, {"w": worker_id, "i": i}, collection="test")
                if await store.get(key, collection="test") != {"w": worker_id, "i": i}:
                    failures.append(f"{key} wrong after put")
                await store.put(key, {"w": worker_id, "i": i, "again": True}, collection="test")
                if await store.get(key, collection="test") != {
                    "w": worker_id,
                    "i": i,
                    "again": True,
                }:
                    failures.append(f"{key} wrong after overwrite")
                if not await store.delete(key, collection="test"):
                    failures.append(f"{key} delete returned False")
                if await store.get(key, collection="test") != miss.value:
                    failures.append(f"{key} present after delete")

        async with anyio.create_task_group() as group:
            for worker_id in range(10):
                group.start_soon(worker, worker_id)
        assert failures == []

    async def test_bulk_of_ten(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        keys = [f"k{i}" for i in range(10)]
        values = [{"i": i} for i in range(10)]
        await store.put_many(keys, values, collection="test")
        assert await store.get_many(keys, collection="test") == values
        assert await store.delete_many(keys, collection="test") == 10
        assert await store.get_many(keys, collection="test") == miss.values(10)

    async def test_bounded_store_evicts(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        if not capabilities_of(store).bounded:
            pytest.skip("the store is not bounded (capability 'bounded' not declared)")
        for i in range(1000):
            digest = hashlib.sha256(str(i).encode()).hexdigest()
            await store.put(f"test_key_{i}", {"hash": digest}, collection="test")
        assert await store.get("test_key_0", collection="test") == miss.value
        assert await store.get("test_key_999", collection="test") != miss.value
