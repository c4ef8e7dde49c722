"""Lifecycle and damaged data: context manager, close, reopen, corrupt entries."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

import kv
from kv_conformance.hooks import (
    find_hooks,
    options_reopen_problem,
    reopen_hook,
    reopen_with_options,
)
from kv_conformance.support import Miss, capabilities_of

__all__ = ["LifecycleTests"]


class LifecycleTests:
    """Stores work with and without ``async with`` and survive ``close()``.

    Damaging an entry needs the backend itself: the default of
    :meth:`corrupt_entry` calls the plugin's declared
    :class:`~kv_conformance.hooks.ConformanceHooks` (found by the store's
    scheme). The default of :meth:`reopen_store` calls their ``reopen_store``
    if they have one, else builds ``type(store)(store.options)``. So a test
    class needs no code for them; it may still override either method.
    """

    kv_scheme: str | None = None
    """The URL scheme whose ``kv.conformance`` hooks apply to the store.

    ``None`` (the default): the scheme whose ``kv.stores`` factory builds the
    store's class. The ``--kv-url`` suite sets it to the URL's scheme.
    """

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the stored entry of ``key`` with bytes that are not a document.

        The default asks the plugin's registered conformance hooks; without
        hooks it returns ``False`` and the corruption test is skipped.
        """
        hooks = find_hooks(store, scheme=self.kv_scheme).hooks
        if hooks is None:
            return False
        return await hooks.corrupt_entry(store, collection, key)

    async def reopen_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """A new store object on the same location as ``store`` (after it is closed).

        The default asks the ``reopen_store`` of the plugin's conformance
        hooks; without one it builds ``type(store)(store.options)``, or
        returns ``None`` (the persistence test is then skipped) if the store
        keeps no options its class takes.
        """
        reopen = reopen_hook(find_hooks(store, scheme=self.kv_scheme).hooks)
        if reopen is not None:
            return await reopen(store)
        return reopen_with_options(store)

    def _kv_hook_skip_reason(self, store: kv.AsyncKeyValue, method: str, result: str) -> str:
        """Why ``method`` gave ``result`` (for the skip message)."""
        if getattr(type(self), method) is not getattr(LifecycleTests, method):
            return f"the test class's {method}() returned {result}"
        found = find_hooks(store, scheme=self.kv_scheme)
        if method == "reopen_store" and reopen_hook(found.hooks) is None:
            if found.hooks is None:
                return f"{found.description}; and {options_reopen_problem(store)}"
            return (
                f"{found.description} have no reopen_store(), and {options_reopen_problem(store)}"
            )
        if found.hooks is None:
            return found.description
        return f"{method}() of {found.description} returned {result}"

    async def test_persistent_store_keeps_data_across_objects(
        self, store: kv.AsyncKeyValue
    ) -> None:
        if not capabilities_of(store).persistent:
            pytest.skip("the store does not declare 'persistent'")
        await store.put("kept", {"v": 1}, collection="test", ttl=3600)
        await store.put("plain", {"v": 2}, collection="test")
        close = getattr(store, "close", None)
        if close is not None:
            await close()
        reopened = await self.reopen_store(store)
        if reopened is None:
            pytest.skip(self._kv_hook_skip_reason(store, "reopen_store", "None"))
        try:
            value, remaining = await reopened.ttl("kept", collection="test")
            assert value == {"v": 1}
            assert remaining is not None
            assert 3500 < remaining <= 3600
            assert await reopened.get("plain", collection="test") == {"v": 2}
        finally:
            close = getattr(reopened, "close", None)
            if close is not None:
                await close()

    async def test_context_manager(self, store: kv.AsyncKeyValue) -> None:
        if not isinstance(store, AbstractAsyncContextManager):
            pytest.skip("the store is not an async context manager")
        async with store as entered:
            assert entered is store
            await store.put("key", {"v": 1}, collection="test")
            assert await store.get("key", collection="test") == {"v": 1}

    async def test_close_is_idempotent_and_store_reopens(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        close = getattr(store, "close", None)
        if close is None:
            pytest.skip("the store has no close()")
        await store.put("key", {"v": 1}, collection="test")
        await close()
        await close()
        assert await store.get("key", collection="test") in ({"v": 1}, miss.value)
        await store.put("key2", {"v": 2}, collection="test")
        assert await store.get("key2", collection="test") == {"v": 2}

    async def test_corrupt_entry_raises_deserialization_error(
        self, store: kv.AsyncKeyValue
    ) -> None:
        await store.put("key", {"v": 1}, collection="test")
        await store.put("fine", {"v": 2}, collection="test")
        if not await self.corrupt_entry(store, "test", "key"):
            pytest.skip(self._kv_hook_skip_reason(store, "corrupt_entry", "False"))
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
