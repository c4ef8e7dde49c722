"""The suite's atomic section fails a store that emulates atomic writes with a
read followed by a write, and passes one that does them in one step."""

from __future__ import annotations

import anyio
import pytest

from kv.entry import StoredEntry
from kv.stores.memory import MemoryStore
from kv_conformance.atomic import AtomicTests

pytestmark = pytest.mark.anyio


class ReadThenWriteStore(MemoryStore):
    """memory:// whose conditional writes read, yield to other tasks, then write:
    the emulation the ``atomic`` capability rules out."""

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        absent = self._live_version(collection, key, entry.created_at or 0.0) is None
        await anyio.sleep(0)
        if not absent:
            return False
        await self._put_entry(collection, key, entry, ttl)
        return True

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        current = self._live_version(collection, key, entry.created_at or 0.0)
        await anyio.sleep(0)
        if str(current) != version:
            return False
        await self._put_entry(collection, key, entry, ttl)
        return True


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_claiming_one_key_fails_a_read_then_write_store() -> None:
    with pytest.raises(AssertionError, match="claims won"):
        await AtomicTests().test_many_tasks_claim_one_key_and_exactly_one_wins(ReadThenWriteStore())


async def test_concurrent_updates_fail_a_read_then_write_store() -> None:
    with pytest.raises(AssertionError):
        await AtomicTests().test_concurrent_updates_lose_no_increment(ReadThenWriteStore())


async def test_a_store_with_atomic_hooks_passes_both() -> None:
    await AtomicTests().test_many_tasks_claim_one_key_and_exactly_one_wins(MemoryStore())
    await AtomicTests().test_concurrent_updates_lose_no_increment(MemoryStore())
