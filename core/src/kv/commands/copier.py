"""The engine of ``kv copy``: every entry of some collections, from one store to another.

::

    report = await copy_entries(source, destination, checkpoint, batch_size=1000)

* The source must list its keys (:class:`kv.EnumerateKeys`) and, when no
  collection is named, its collections (:class:`kv.EnumerateCollections`).
* Keys are read in batches with ``ttl_many`` (value and remaining seconds in
  one call) and written with ``put_many``. Remaining TTLs are kept: an entry
  with 12 s left is written with (at most) 12 s. ``put_many`` takes one TTL
  for all its keys, so the entries of a batch whose remaining TTLs lie within
  ``ttl_tolerance`` seconds of each other are written together, with the
  shortest of their TTLs: no entry outlives its source, and none is cut
  shorter by more than ``ttl_tolerance``. Entries that expired (or were
  deleted) between listing and reading are skipped and counted.
* After each batch's ``put_many`` returns, the checkpoint records the batch's
  last key. A rerun with the same checkpoint walks the listing again, skips
  up to and including that key, and continues; a collection marked done is
  skipped. Re-putting a batch is harmless (a put replaces), so an
  interruption at any point loses nothing and duplicates nothing. If the
  checkpoint's key is no longer listed (deleted meanwhile), the collection
  is copied again from its start.

No click, no rich: :mod:`kv.commands.copy` is the command around it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import kv
from kv.commands.checkpoint import Checkpoint, CollectionProgress
from kv.errors import ArgumentValueError, KeyValueError, UnsupportedOperationError

__all__ = ["BatchDone", "CopyReport", "copy_entries", "group_by_ttl", "source_collections"]


@dataclass(frozen=True)
class BatchDone:
    """One batch written and checkpointed (what the progress display shows)."""

    collection: str
    copied: int
    """Entries of this batch written."""
    expired: int
    """Entries of this batch skipped as expired."""
    progress: CollectionProgress
    """The collection's totals so far, this batch included."""


@dataclass
class CopyReport:
    """What a copy did, in this run (a resumed copy counts only its own part)."""

    copied: int = 0
    expired: int = 0
    collections: list[str] = field(default_factory=list)
    seconds: float = 0.0
    restarted: list[str] = field(default_factory=list)
    """Collections copied again from their start: the checkpoint's key was gone."""


def group_by_ttl(
    found: Sequence[tuple[str, tuple[dict[str, Any] | None, float | None]]],
    tolerance: float,
) -> tuple[list[tuple[float | None, list[str], list[dict[str, Any]]]], int]:
    """Split one batch into ``(ttl, keys, values)`` groups, one ``put_many`` each.

    Entries without a TTL form one group; entries with one are sorted by
    remaining seconds and grouped while within ``tolerance`` of the group's
    first (shortest), which is the group's TTL. Returns the groups and how
    many entries were skipped as absent (expired).
    """
    forever_keys: list[str] = []
    forever_values: list[dict[str, Any]] = []
    timed: list[tuple[float, str, dict[str, Any]]] = []
    expired = 0
    for key, (value, remaining) in found:
        if value is None or (remaining is not None and remaining <= 0):
            expired += 1
        elif remaining is None:
            forever_keys.append(key)
            forever_values.append(value)
        else:
            timed.append((remaining, key, value))
    groups: list[tuple[float | None, list[str], list[dict[str, Any]]]] = []
    if forever_keys:
        groups.append((None, forever_keys, forever_values))
    timed.sort(key=lambda entry: entry[0])
    shortest = 0.0
    for remaining, key, value in timed:
        if groups and groups[-1][0] is not None and remaining - shortest <= tolerance:
            groups[-1][1].append(key)
            groups[-1][2].append(value)
        else:
            shortest = remaining
            groups.append((remaining, [key], [value]))
    return groups, expired


async def source_collections(source: object, url: str) -> list[str]:
    """Every collection the source lists, or a clear error when it cannot."""
    if not isinstance(source, kv.EnumerateCollections):
        raise UnsupportedOperationError(
            "This store cannot list its collections, so kv copy cannot find them:"
            " name them with --collection",
            store=url,
        )
    return [name async for name in source.iter_collections()]


class _Listing:
    """The keys of a collection in listing order, those up to ``after`` skipped.

    :attr:`found_after` tells, once walked, whether ``after`` was listed.
    """

    def __init__(
        self, source: kv.EnumerateKeys, collection: str, after: str | None, page_size: int
    ) -> None:
        self.source = source
        self.collection = collection
        self.after = after
        self.page_size = page_size
        self.found_after = after is None

    async def __aiter__(self) -> AsyncIterator[str]:
        walk = self.source.iter_keys(self.collection, page_size=self.page_size)
        try:
            async for key in walk:
                if not self.found_after:
                    self.found_after = key == self.after
                    continue
                yield key
        finally:
            close = getattr(walk, "aclose", None)
            if close is not None:
                await close()


async def copy_entries(
    source: kv.AsyncKeyValue,
    destination: kv.AsyncKeyValue,
    checkpoint: Checkpoint,
    *,
    collections: Sequence[str],
    batch_size: int = 1000,
    ttl_tolerance: float = 1.0,
    on_batch: Callable[[BatchDone], None] = lambda done: None,
    source_url: str = "source",
) -> CopyReport:
    """Copy every entry of ``collections`` from ``source`` to ``destination``.

    Raises:
        UnsupportedOperationError: The source cannot list keys.
        ArgumentValueError: ``batch_size`` < 1 or ``ttl_tolerance`` < 0.
    """
    if batch_size < 1:
        raise ArgumentValueError(f"The batch size must be at least 1, got {batch_size}")
    if ttl_tolerance < 0:
        raise ArgumentValueError(f"The TTL tolerance must be 0 or more, got {ttl_tolerance}")
    if not isinstance(source, kv.EnumerateKeys):
        raise UnsupportedOperationError(
            "This store cannot list its keys, so kv copy cannot read it", store=source_url
        )
    started = time.perf_counter()
    report = CopyReport(collections=list(collections))
    for name in collections:
        progress = checkpoint.progress(name)
        if progress.done:
            continue
        copy = _CollectionCopy(source, destination, checkpoint, name, batch_size, ttl_tolerance)
        if not await copy.run(on_batch, report):
            # The checkpoint's key is no longer listed: start the collection over.
            report.restarted.append(name)
            progress.last_key = None
            await copy.run(on_batch, report)
        progress.done = True
        checkpoint.save()
    report.seconds = time.perf_counter() - started
    return report


class _CollectionCopy:
    """Copies the keys of one collection listed after its checkpoint's key."""

    def __init__(
        self,
        source: kv.EnumerateKeys,
        destination: kv.AsyncKeyValue,
        checkpoint: Checkpoint,
        collection: str,
        batch_size: int,
        ttl_tolerance: float,
    ) -> None:
        assert isinstance(source, kv.AsyncKeyValue)
        self.source: kv.AsyncKeyValue = source
        self.listing_source = source
        self.destination = destination
        self.checkpoint = checkpoint
        self.collection = collection
        self.progress = checkpoint.progress(collection)
        self.batch_size = batch_size
        self.ttl_tolerance = ttl_tolerance

    async def run(self, on_batch: Callable[[BatchDone], None], report: CopyReport) -> bool:
        """Copy, batch by batch; whether the checkpoint's key was listed (or there was none)."""
        listing = _Listing(
            self.listing_source, self.collection, self.progress.last_key, self.batch_size
        )
        batch: list[str] = []
        async for key in listing:
            batch.append(key)
            if len(batch) >= self.batch_size:
                on_batch(await self._batch(batch, report))
                batch = []
        if batch:
            on_batch(await self._batch(batch, report))
        return listing.found_after

    async def _batch(self, keys: list[str], report: CopyReport) -> BatchDone:
        """Read ``keys``, write them, then record the last one in the checkpoint.

        An error names the collection (when the store's did not).
        """
        try:
            found = await self.source.ttl_many(keys, collection=self.collection)
            groups, expired = group_by_ttl(list(zip(keys, found)), self.ttl_tolerance)
            for ttl, group_keys, values in groups:
                await self.destination.put_many(
                    group_keys, values, collection=self.collection, ttl=ttl
                )
        except KeyValueError as error:
            error.add_context(collection=self.collection)
            raise
        copied = len(keys) - expired
        self.progress.last_key = keys[-1]
        self.progress.copied += copied
        self.progress.expired += expired
        self.checkpoint.save()
        report.copied += copied
        report.expired += expired
        return BatchDone(self.collection, copied, expired, self.progress)
