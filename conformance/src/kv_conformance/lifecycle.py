"""Lifecycle and damaged data: context manager, close, reopen, corrupt entries."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

import kv

__all__ = ["LifecycleTests"]


class LifecycleTests:
    """Stores work with and without ``async with`` and survive ``close()``."""

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the stored entry of ``key`` with bytes that are not a document.

        Plugins override this with a raw backend write; the default returns
        ``False`` and the corruption test is skipped.
        """
        return False

    async def test_context_manager(self, store: kv.AsyncKeyValue) -> None:
        if not isinstance(store, AbstractAsyncContextManager):
            pytest.skip("the store is not an async context manager")
        async with store as entered:
            assert entered is store
            await store.put("key", {"v": 1}, collection="test")
            assert await store.get("key", collection="test") == {"v": 1}

    async def test_close_is_idempotent_and_store_reopens(self, store: kv.AsyncKeyValue) -> None:
        close = getattr(store, "close", None)
        if close is None:
            pytest.skip("the store has no close()")
        await store.put("key", {"v": 1}, collection="test")
        await close()
        await close()
        assert await store.get("key", collection="test") in ({"v": 1}, None)
        await store.put("key2", {"v": 2}, collection="test")
        assert await store.get("key2", collection="test") == {"v": 2}

    async def test_corrupt_entry_raises_deserialization_error(
        self, store: kv.AsyncKeyValue
    ) -> None:
        await store.put("key", {"v": 1}, collection="test")
        await store.put("fine", {"v": 2}, collection="test")
        if not await self.corrupt_entry(store, "test", "key"):
            pytest.skip("the test class does not implement corrupt_entry()")
        with pytest.raises(kv.DeserializationError) as caught:
            await store.get("key", collection="test")
        assert "key" in str(caught.value)
        with pytest.raises(kv.DeserializationError):
            await store.get_many(["fine", "key"], collection="test")
        assert await store.get("fine", collection="test") == {"v": 2}
        await store.put("key", {"v": 3}, collection="test")
        assert await store.get("key", collection="test") == {"v": 3}

    async def test_errors_are_key_value_errors(self, store: kv.AsyncKeyValue) -> None:
        bad: Any = {"k": {1, 2}}
        with pytest.raises(kv.KeyValueError):
            await store.put("key", bad, collection="test")
