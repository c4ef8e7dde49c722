"""kv.atomic: the update loop, content versions, and the recipes of docs/atomic.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import pytest

import kv
from kv.atomic import Versioned, content_version, update
from kv.stores.memory import MemoryStore

pytestmark = pytest.mark.anyio

DOC = Path(__file__).resolve().parents[2] / "docs" / "atomic.md"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _recipe(heading: str) -> dict[str, Any]:
    """Run the first python block after ``heading`` in docs/atomic.md; its names."""
    text = DOC.read_text(encoding="utf-8")
    after = text[text.index(heading) :]
    block = re.search(r"```python\n(.*?)```", after, re.S)
    assert block is not None
    # Definitions only: a line at the top level that awaits is the example's use.
    source = "\n".join(
        line for line in block.group(1).splitlines() if line[:1].isspace() or "await " not in line
    )
    names: dict[str, Any] = {"kv": kv}
    exec(compile(source, str(DOC), "exec"), names)
    return names


async def test_update_retries_until_it_wins_and_gives_up_after_attempts() -> None:
    store = MemoryStore()

    def change(old: dict[str, Any] | None) -> dict[str, Any]:
        return {"n": (old or {"n": 0})["n"] + 1}

    assert await update(store, "k", change) == {"n": 1}
    assert await update(store, "k", change) == {"n": 2}

    class AlwaysConflicting(MemoryStore):
        async def _put_entry_if_version(self, *args: Any) -> bool:
            return False

    stubborn = AlwaysConflicting()
    await stubborn.put("k", {"n": 0})
    with pytest.raises(kv.ConflictError, match="3 attempts") as caught:
        await update(stubborn, "k", change, attempts=3)
    assert caught.value.key == "k"
    assert caught.value.store == "AlwaysConflicting"
    with pytest.raises(ValueError, match="attempts"):
        await update(store, "k", change, attempts=0)


async def test_memory_versions_are_dropped_by_every_kind_of_write() -> None:
    store = MemoryStore(max_entries=2)
    await store.put("a", {"v": 1})
    first = await store.get_versioned("a")
    assert first == Versioned({"v": 1}, None, first.version if first else "")
    await store.put("b", {})
    await store.put("c", {})  # evicts "a"
    assert await store.get_versioned("a") is None
    await store.put("a", {"v": 1})
    assert first is not None
    assert not await store.put_if_version("a", {"v": 2}, first.version)
    assert store._versions.get("default_collection", {}).get("a") is None


def test_content_version_depends_on_every_part() -> None:
    base = content_version('{"a":1}', 1.5, None)
    assert base == content_version('{"a":1}', 1.5, None)
    others = {
        content_version('{"a":2}', 1.5, None),
        content_version('{"a":1}', 1.5000001, None),
        content_version('{"a":1}', 1.5, 9.0),
    }
    assert len({base, *others}) == 4


async def test_the_lease_recipe() -> None:
    lease = _recipe("### A lock with a lease")["Lease"]
    store = MemoryStore()
    first, second = lease(store, "lock", 0.5), lease(store, "lock", 60)
    assert await first.acquire()
    assert not await second.acquire()
    assert await first.renew()

    async def expired() -> bool:
        return await store.get("lock", collection="locks") is None

    while not await expired():
        await anyio.sleep(0.05)
    assert await second.acquire()
    assert not await first.renew()  # lost: another holder took it
    await first.release()  # a late release frees nothing
    assert (await store.get("lock", collection="locks")) == {"holder": second.token}
    await second.release()
    assert await store.get("lock", collection="locks") is None


async def test_the_counter_recipe() -> None:
    add_one = _recipe("### A counter")["add_one"]
    store = MemoryStore()
    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(update, store, "page:/", add_one)
    assert await store.get("page:/") == {"n": 20}
