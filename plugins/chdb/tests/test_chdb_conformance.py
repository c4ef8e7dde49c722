"""The kv conformance suite against ``chdb://``, under asyncio and trio.

The store is opened by URL, through the ``kv.stores`` entry point, on a fresh
directory per test. chDB runs one embedded ClickHouse per process on one
path, so each test closes its store (and any raw session) before the next.
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import kv
from kv_chdb.conformance import HOOKS
from kv_chdb.store import ChDBStore
from kv_conformance import StoreConformance
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_conformance.support import eventually


class TestChDBStore(StoreConformance):
    """Every behaviour of a kv store, on a fresh directory per test."""

    shared_between_processes = False  # chDB lets one process open a directory at a time

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        """Run every test under asyncio and under trio."""
        return str(request.param)

    @pytest.fixture
    async def store(
        self, tmp_path: Path, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        store = kv.connect(f"chdb://{tmp_path}/db", default_collection=default_collection)
        assert isinstance(store, ChDBStore)
        yield store
        await store.close()

    async def test_close_releases_file_descriptors(self, store: kv.AsyncKeyValue) -> None:
        """The suite's check, not counting chDB's own per-thread ``/proc`` files.

        Every start of chDB's embedded ClickHouse opens
        ``/proc/thread-self/{stat,schedstat,io}`` for its new threads and never
        closes them (about nine per open/close cycle, chDB 3.x; raw
        ``chdb.session.Session`` cycles do the same). Every other descriptor,
        kv's lock file and the database files included, must be released.
        """
        await self._cycle(store)
        gc.collect()
        before = descriptors_but_chdb_thread_stats()
        for _ in range(3):
            await self._cycle(store)

        async def released() -> bool:
            gc.collect()
            return descriptors_but_chdb_thread_stats() <= before

        assert await eventually(released, within=10.0, step=0.1), (
            f"{descriptors_but_chdb_thread_stats() - before} file descriptors more than"
            " before three open-use-close cycles"
        )

    async def sibling_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        """Another table on the same path, open in this process at the same time."""
        assert isinstance(store, ChDBStore)
        return ChDBStore(store.options.path, table=f"{store.options.table}_sibling")


def descriptors_but_chdb_thread_stats() -> int:
    """Open descriptors of this process, less chDB's per-thread ``/proc`` stat files."""
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # closed meanwhile (or the listing's own descriptor)
            continue
        if target.startswith("/proc/") and target.rsplit("/", 1)[-1] in _THREAD_STATS:
            continue
        count += 1
    return count


_THREAD_STATS = frozenset({"stat", "schedstat", "io"})


def test_conformance_hooks_are_registered() -> None:
    """The suite finds this plugin's hooks, by scheme and by store class.

    Without them the damaged-data and persistence tests would be skipped.
    """
    assert hooks_for_scheme("chdb") is HOOKS
    assert schemes_of_store_type(ChDBStore) == ("chdb",)
