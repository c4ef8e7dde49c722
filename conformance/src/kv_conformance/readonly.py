"""Stores that declare ``read_only`` or ``returns_defaults``.

A ``read_only`` store refuses every write: ``put``, ``put_many``, ``delete``
and ``delete_many`` raise :class:`kv.ReadOnlyError` (naming the operation) or
do nothing (``delete`` then returns ``False``, ``delete_many`` ``0``), and
nothing stored changes. Reads work as on any store. To check that existing
entries survive, a test class gives the suite a writable view of the same data
with :meth:`ReadOnlyTests.writable_store`.

A ``returns_defaults`` store answers a miss with a default value: the suite
learns it by reading a never-written key, then checks the miss is the same for
every read method and every missing key, and a fresh copy each time.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, cast

import pytest

import kv
from kv_conformance.support import Miss, capabilities_of, need, reads_only

__all__ = ["ReadOnlyTests", "ReturnsDefaultsTests"]


async def _refused(call: Awaitable[Any], operation: str, silent_result: object) -> None:
    """``call`` must raise ReadOnlyError for ``operation`` or return ``silent_result``."""
    refused: kv.ReadOnlyError | None = None
    try:
        result = await call
    except kv.ReadOnlyError as error:
        refused = error
    if refused is not None:
        assert refused.operation == operation, (
            f"ReadOnlyError of {operation}() names operation {refused.operation!r}"
        )
        return
    assert result == silent_result, (
        f"{operation}() on a read-only store returned {result!r}, not {silent_result!r}"
    )


class ReadOnlyTests:
    """A ``read_only`` store refuses every write and changes nothing."""

    async def writable_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A store that writes the data the read-only ``store`` reads.

        Test classes of read-only stores override this (a read-only wrapper
        returns the store it wraps); the default returns ``None`` and the
        tests that need existing entries are skipped.
        """
        return None

    async def _seeded(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue:
        need(store, "read_only")
        writable = await self.writable_store(store)
        if writable is None:
            pytest.skip("the test class does not implement writable_store()")
        return writable

    @reads_only
    async def test_read_only_store_refuses_every_write(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        need(store, "read_only")
        await _refused(store.put("key", {"v": 1}, collection="test"), "put", None)
        await _refused(store.put("key", {"v": 1}, collection="test", ttl=60), "put", None)
        await _refused(
            store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="test"), "put_many", None
        )
        await _refused(store.put("key", {"v": 1}), "put", None)
        await _refused(store.delete("key", collection="test"), "delete", False)
        await _refused(store.delete_many(["a", "key"], collection="test"), "delete_many", 0)
        assert await store.get("key", collection="test") == miss.value
        assert await store.get("key") == miss.value
        assert await store.get_many(["a", "b"], collection="test") == miss.values(2)

    @reads_only
    async def test_read_only_error_names_key_and_collection(self, store: kv.AsyncKeyValue) -> None:
        need(store, "read_only")
        message = ""
        try:
            await store.put("the-key", {"v": 1}, collection="the-collection")
        except kv.ReadOnlyError as error:
            message = str(error)
        else:
            return  # a store that ignores writes silently has no error to check
        assert "the-key" in message
        assert "the-collection" in message
        assert "put" in message

    @reads_only
    async def test_read_only_store_does_not_offer_destruction(
        self, store: kv.AsyncKeyValue
    ) -> None:
        need(store, "read_only")
        declared = capabilities_of(store)
        assert not declared.destroy
        assert not declared.destroy_collection
        assert not isinstance(store, (kv.DestroyStore, kv.DestroyCollection))

    @reads_only
    async def test_read_only_store_reads_existing_entries(self, store: kv.AsyncKeyValue) -> None:
        writable = await self._seeded(store)
        await writable.put_many(["a", "b"], [{"v": 1}, {}], collection="test")
        await writable.put("timed", {"v": 3}, collection="test", ttl=100)
        await writable.put("a", {"where": "default"})
        assert await store.get("a", collection="test") == {"v": 1}
        assert await store.get("a") == {"where": "default"}
        assert await store.get_many(["b", "a"], collection="test") == [{}, {"v": 1}]
        value, remaining = await store.ttl("timed", collection="test")
        assert value == {"v": 3}
        assert remaining is not None
        assert 97 <= remaining <= 100
        results = await store.ttl_many(["a", "timed"], collection="test")
        assert results[0] == ({"v": 1}, None)
        assert results[1][0] == {"v": 3}
        if isinstance(store, kv.EnumerateKeys):
            assert sorted(await store.keys("test")) == ["a", "b", "timed"]

    @reads_only
    async def test_read_only_store_keeps_existing_entries(self, store: kv.AsyncKeyValue) -> None:
        writable = await self._seeded(store)
        await writable.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="test", ttl=100)
        await _refused(store.put("a", {"v": "new"}, collection="test"), "put", None)
        await _refused(
            store.put_many(["a", "b"], [{"v": "x"}, {"v": "y"}], collection="test"),
            "put_many",
            None,
        )
        await _refused(store.delete("a", collection="test"), "delete", False)
        await _refused(store.delete_many(["a", "b"], collection="test"), "delete_many", 0)
        results = await writable.ttl_many(["a", "b"], collection="test")
        assert [value for value, _ in results] == [{"v": 1}, {"v": 2}]
        for _, remaining in results:
            assert remaining is not None
            assert 90 <= remaining <= 100


class ReturnsDefaultsTests:
    """A miss is the same everywhere: ``None``, or the declared default."""

    @reads_only
    async def test_miss_is_the_same_for_every_read(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        assert await store.get("never-1", collection="test") == miss.value
        assert await store.get("never-2", collection="other") == miss.value
        assert await store.get("never-3") == miss.value
        assert await store.ttl("never-1", collection="test") == miss.ttl
        assert await store.get_many(["never-1", "never-2"], collection="test") == miss.values(2)
        assert await store.ttl_many(["never-1", "never-2"], collection="test") == miss.ttls(2)
        assert miss.ttl[0] == miss.value

    @reads_only
    async def test_default_is_declared_and_a_fresh_copy(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        need(store, "returns_defaults")
        assert miss.value is not None, "returns_defaults is declared but a miss returns None"
        first = await store.get("never", collection="test")
        assert first == miss.value
        assert first is not None
        assert type(first) is dict
        first["changed by the caller"] = True
        many = await store.get_many(["never", "never"], collection="test")
        assert many == miss.values(2)
        assert many[0] is not many[1]
        value, _ = await store.ttl("never", collection="test")
        assert value == miss.value
        assert await store.get("never", collection="test") == miss.value

    async def test_default_is_never_written(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        need(store, "returns_defaults")
        assert await store.get("never", collection="test") == miss.value
        assert await store.delete("never", collection="test") is False
        await store.put("real", {"v": 1}, collection="test")
        assert await store.get("real", collection="test") == {"v": 1}
        assert await store.delete("real", collection="test") is True
        assert await store.get("real", collection="test") == miss.value
        if isinstance(store, kv.EnumerateKeys):
            assert await cast(kv.EnumerateKeys, store).keys("test") == []
