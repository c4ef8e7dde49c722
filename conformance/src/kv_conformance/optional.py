"""Optional capabilities: declared ones work, undeclared ones are not offered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, cast

import pytest

import kv
from kv.capabilities import OPTIONAL_OPERATIONS
from kv.protocols import OPTIONAL_PROTOCOLS
from kv_conformance.cases import ODD_NAMES
from kv_conformance.support import (
    SHORT_TTL,
    Miss,
    capabilities_of,
    each_case,
    eventually,
    need,
    outlive,
    reads_only,
)

__all__ = ["CapabilityTests"]

_PROTOCOLS = OPTIONAL_PROTOCOLS


class CapabilityTests:
    """Enumeration, destroy, cull, and the two-way capability check."""

    enumeration_size: int = 10_050
    """How many keys the no-silent-cap enumeration test writes (over 10 000)."""

    @reads_only
    async def test_capability_is_offered_exactly_when_declared(
        self, store: kv.AsyncKeyValue
    ) -> None:
        async def check(flag: str, method: str) -> None:
            declared = bool(getattr(capabilities_of(store), flag))
            offered = isinstance(store, _PROTOCOLS[flag])
            assert declared == offered, (
                f"capability {flag!r} is {'declared' if declared else 'not declared'} but"
                f" {method}() is {'offered' if offered else 'missing'}"
            )

        await each_case(OPTIONAL_OPERATIONS, check)

    # --- enumerate keys ------------------------------------------------------

    async def test_keys_lists_every_key(self, store: kv.AsyncKeyValue) -> None:
        need(store, "enumerate_keys")
        keys_store = cast(kv.EnumerateKeys, store)
        assert await keys_store.keys("test") == []
        await store.put_many(["a", "b", "c"], [{}, {}, {}], collection="test")
        await store.put("other", {}, collection="elsewhere")
        assert sorted(await keys_store.keys("test")) == ["a", "b", "c"]
        assert sorted(await keys_store.keys("test", limit=2))[:2] != []
        assert len(await keys_store.keys("test", limit=2)) == 2
        assert await keys_store.keys("test", limit=0) == []

    async def test_keys_of_default_collection(self, store: kv.AsyncKeyValue) -> None:
        need(store, "enumerate_keys")
        await store.put("a", {})
        assert await cast(kv.EnumerateKeys, store).keys() == ["a"]

    async def test_keys_returns_original_names(self, store: kv.AsyncKeyValue) -> None:
        need(store, "enumerate_keys")
        names = sorted(ODD_NAMES.values())
        await store.put_many(names, [{} for _ in names], collection="odd/::collection")
        listed = await cast(kv.EnumerateKeys, store).keys("odd/::collection")
        assert sorted(listed) == names

    async def test_keys_has_no_silent_cap(self, store: kv.AsyncKeyValue) -> None:
        need(store, "enumerate_keys")
        if capabilities_of(store).bounded:
            pytest.skip("a bounded store cannot hold this many entries")
        keys = [f"key-{i:05d}" for i in range(self.enumeration_size)]
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            await store.put_many(chunk, [{"i": 1}] * len(chunk), collection="many")
        keys_store = cast(kv.EnumerateKeys, store)
        listed = await keys_store.keys("many")
        assert len(listed) == len(keys)
        assert sorted(listed) == keys

    async def test_iter_keys_walks_many_pages(self, store: kv.AsyncKeyValue) -> None:
        need(store, "enumerate_keys")
        keys = [f"k{i}" for i in range(57)]
        await store.put_many(keys, [{}] * len(keys), collection="paged")
        walked = [
            key async for key in cast(kv.EnumerateKeys, store).iter_keys("paged", page_size=5)
        ]
        assert sorted(walked) == sorted(keys)
        assert len(walked) == len(keys)

    async def test_keys_after_delete(self, store: kv.AsyncKeyValue) -> None:
        need(store, "enumerate_keys")
        await store.put_many(["a", "b"], [{}, {}], collection="test")
        await store.delete("a", collection="test")
        assert await cast(kv.EnumerateKeys, store).keys("test") == ["b"]

    # --- enumerate collections ----------------------------------------------

    async def test_collections_lists_collections_with_entries(
        self, store: kv.AsyncKeyValue
    ) -> None:
        need(store, "enumerate_collections")
        names = ["one", "two", "a::b", "odd/name", "鍵"]
        for name in names:
            await store.put("key", {}, collection=name)
        collections_store = cast(kv.EnumerateCollections, store)
        listed = await collections_store.collections()
        assert set(names) <= set(listed)
        assert len(await collections_store.collections(limit=2)) == 2
        walked = [name async for name in collections_store.iter_collections(page_size=2)]
        assert set(names) <= set(walked)

    async def test_collections_pages_have_no_duplicates(self, store: kv.AsyncKeyValue) -> None:
        need(store, "enumerate_collections")
        names = [f"col-{i:02d}" for i in range(23)]
        for name in names:
            await store.put_many(["a", "b", "c"], [{}, {}, {}], collection=name)
        collections_store = cast(kv.EnumerateCollections, store)
        for page_size in (1, 3, 10, 1000):
            walked = [n async for n in collections_store.iter_collections(page_size=page_size)]
            assert len(walked) == len(set(walked)), f"duplicates with page_size={page_size}"
            assert set(walked) == set(names)
        assert sorted(await collections_store.collections(limit=5)) == sorted(
            set(await collections_store.collections(limit=5))
        )

    async def test_emptied_collections_are_not_listed(self, store: kv.AsyncKeyValue) -> None:
        need(store, "enumerate_collections")
        await store.put_many(["a", "b"], [{}, {}], collection="emptied-by-delete-many")
        await store.put("only", {}, collection="emptied-by-delete")
        await store.put("stay", {}, collection="still-full")
        assert await store.delete_many(["a", "b"], collection="emptied-by-delete-many") == 2
        assert await store.delete("only", collection="emptied-by-delete") is True
        listed = await cast(kv.EnumerateCollections, store).collections()
        assert listed == ["still-full"]

    # --- destroy -----------------------------------------------------------------

    async def test_destroy_then_reuse(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        need(store, "destroy")
        await store.put("a", {"v": 1}, collection="one")
        await store.put("b", {"v": 2}, collection="two")
        assert await cast(kv.DestroyStore, store).destroy() is True
        assert await store.get("a", collection="one") == miss.value
        assert await store.get("b", collection="two") == miss.value
        await store.put("a", {"v": 3}, collection="one")
        assert await store.get("a", collection="one") == {"v": 3}

    async def test_destroy_collection_then_reuse(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        need(store, "destroy_collection")
        await store.put("a", {"v": 1}, collection="doomed")
        await store.put("a", {"v": 2}, collection="kept")
        destroyer = cast(kv.DestroyCollection, store)
        assert await destroyer.destroy_collection("doomed") is True
        assert await store.get("a", collection="doomed") == miss.value
        assert await store.get("a", collection="kept") == {"v": 2}
        await store.put("a", {"v": 3}, collection="doomed")
        assert await store.get("a", collection="doomed") == {"v": 3}
        assert await destroyer.destroy_collection("never-written") is False

    # --- cull ----------------------------------------------------------------------

    async def test_cull_reclaims_expired_entries(self, store: kv.AsyncKeyValue) -> None:
        need(store, "cull")
        await store.put_many(["e1", "e2"], [{}, {}], collection="test", ttl=SHORT_TTL)
        await store.put("live", {"v": 1}, collection="test")
        await store.put("later", {"v": 2}, collection="test", ttl=60)
        await outlive(SHORT_TTL)
        removed = await cast(kv.Cull, store).cull()
        assert removed >= 0
        assert await store.get("live", collection="test") == {"v": 1}
        assert await store.get("later", collection="test") == {"v": 2}
        if isinstance(store, kv.EnumerateKeys):

            async def reclaimed() -> bool:
                await cast(kv.Cull, store).cull()
                listed = await cast(kv.EnumerateKeys, store).keys("test")
                return sorted(listed) == ["later", "live"]

            assert await eventually(reclaimed, within=3.0)

    async def test_cull_counts_what_it_removes(self, store: kv.AsyncKeyValue) -> None:
        need(store, "cull")
        culler = cast(kv.Cull, store)
        await culler.cull()  # start from nothing expired
        expired = [f"gone-{i}" for i in range(5)]
        await store.put_many(expired, [{}] * len(expired), collection="cull", ttl=SHORT_TTL)
        await store.put("kept", {"v": 1}, collection="cull", ttl=3600)
        await outlive(SHORT_TTL)  # not read: a read may reclaim them
        removed = await culler.cull()
        assert 0 <= removed <= len(expired)
        if not capabilities_of(store).native_ttl:
            assert removed == len(expired), "cull() must return how many entries it removed"
        if isinstance(store, kv.EnumerateKeys):
            assert await store.keys("cull") == ["kept"]
        assert await culler.cull() == 0
        assert await store.get("kept", collection="cull") == {"v": 1}

    # --- what one store object owns ------------------------------------------------

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another store object on the same backend as ``store`` but owning other data.

        For example the same server with another key prefix, database table or
        namespace, or the same directory with another name. Plugins override
        this; the default returns ``None`` and the isolation tests are skipped.
        """
        return None

    async def _check_sibling_spared(
        self, store: kv.AsyncKeyValue, destroy: Callable[[], Awaitable[bool]]
    ) -> None:
        """``destroy()`` empties ``store`` of a shared collection name; its sibling keeps it."""
        sibling = await self.sibling_store(store)
        if sibling is None:
            pytest.skip("the test class does not implement sibling_store()")
        try:
            await sibling.put("theirs", {"v": "sibling"}, collection="shared-name")
            await store.put("mine", {"v": "store"}, collection="shared-name")
            assert await destroy() is True
            assert await store.get("mine", collection="shared-name") is None
            assert await sibling.get("theirs", collection="shared-name") == {"v": "sibling"}
        finally:
            await _destroy_and_close(sibling)

    async def test_destroy_spares_other_store_objects(self, store: kv.AsyncKeyValue) -> None:
        need(store, "destroy")
        await self._check_sibling_spared(store, cast(kv.DestroyStore, store).destroy)

    async def test_destroy_collection_spares_other_store_objects(
        self, store: kv.AsyncKeyValue
    ) -> None:
        need(store, "destroy_collection")
        destroyer = cast(kv.DestroyCollection, store)
        await self._check_sibling_spared(
            store, partial(destroyer.destroy_collection, "shared-name")
        )

    # --- declared capabilities that are not methods -------------------------------

    async def test_max_value_size_is_enforced(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        limit = capabilities_of(store).max_value_size
        if limit is None:
            pytest.skip("the store declares no max_value_size")
        value: dict[str, Any] = {"x": "y" * (limit + 10)}
        with pytest.raises(kv.EntryTooLargeError):
            await store.put("big", value, collection="test")
        assert await store.get("big", collection="test") == miss.value


async def _destroy_and_close(store: kv.AsyncKeyValue) -> None:
    if isinstance(store, kv.DestroyStore):
        await store.destroy()
    close = getattr(store, "close", None)
    if close is not None:
        await close()
