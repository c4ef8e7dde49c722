"""``PassthroughCacheWrapper``: read through a cache store in front of a primary store.

Reads look in the cache first; on a miss they read the primary and keep what
they found in the cache. A cached entry never outlives the primary's entry
and lives at most ``maximum_ttl`` seconds. Writes and deletes go to the
primary and then invalidate the cache (or, with ``write_through=True``, put
the new value in the cache).

The cache holds a small envelope, so that ``ttl()`` answered from the cache
reports the primary's expiry (not the cache's) and a stored ``{}`` is a value
like any other (py-key-value read a cached ``{}`` as a miss)::

    {"__kv_cache__": 1, "value": {...}, "expires_at": 1767225600.0}

Anything else found in the cache (foreign or damaged data) is a miss and is
replaced. Misses of the primary are not cached.

The ``atomic`` capability passes through when the primary has it (the cache
store needs no atomic operations): ``get_versioned`` always reads the primary,
never the cache, so its value and version are current; ``put_if_absent``,
``put_if_version`` and ``delete_if_version`` run on the primary, one call
each, and then delete the key from the cache (even with
``write_through=True``, and whether the condition let the write through or
not), under the same per-key lock as ``put``.

Within one process, the cache never ends up holding an older value than the
primary: writes of a key are serialized per key (an in-process lock per
``(collection, key)``, held while the primary and then the cache are
written), and a read that missed fills the cache only if no write of that key
started or ran since it read the primary (a per-key generation number,
checked under the same lock). See :class:`PassthroughCacheWrapper`.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, SupportsFloat, TypeVar, cast

import anyio

import kv
from kv._typecheck import typechecked
from kv.atomic import AtomicKeyValue, Versioned
from kv.errors import InvalidOptionError, InvalidTTLError, KeyValueOperationError
from kv.ttl import validate_ttl
from kv_wrappers._support import default_collection_of
from kv_wrappers.base import BaseWrapper, _offers

__all__ = ["CACHE_MARKER", "DEFAULT_MAXIMUM_TTL", "PassthroughCacheWrapper"]

CACHE_MARKER = "__kv_cache__"
"""The field that marks a cache envelope (its value is the envelope version, 1)."""
DEFAULT_MAXIMUM_TTL = 1800.0
"""How long an entry stays cached at most, by default (py-key-value's 30 minutes)."""

_ValueAndTTL = tuple[dict[str, Any] | None, float | None]
T = TypeVar("T")

_CLEANUP_TIMEOUT = 5.0
"""Seconds a cancelled or failed write spends, shielded, dropping its keys from the cache."""


class _KeyState:
    """The in-process bookkeeping of one ``(collection, key)`` in use.

    ``lock`` serializes the writes of the key and the cache fills of reads;
    ``generation`` changes whenever a write of the key starts or ends;
    ``users`` counts the calls that hold this record (it is forgotten at 0).
    """

    __slots__ = ("generation", "lock", "users")

    def __init__(self) -> None:
        self.lock = anyio.Lock(fast_acquire=True)
        self.generation = 0
        self.users = 0


def _check_ttl_option(name: str, seconds: SupportsFloat | None, default: float) -> float:
    if seconds is None:
        return default
    try:
        checked = validate_ttl(seconds)
    except InvalidTTLError as error:
        raise InvalidOptionError(f"{name} is invalid: {error.message}") from None
    assert checked is not None
    return checked


def _unwrap(stored: dict[str, Any] | None, now: float) -> _ValueAndTTL | None:
    """``(value, remaining)`` from a cache envelope; ``None`` for a miss or foreign data."""
    if stored is None or stored.get(CACHE_MARKER) != 1:
        return None
    value = stored.get("value")
    expires_at = stored.get("expires_at")
    if type(value) is not dict:
        return None
    if expires_at is None:
        return value, None
    if type(expires_at) not in (int, float) or expires_at <= now:
        return None
    return value, expires_at - now


def _envelope(value: Mapping[str, Any], remaining: float | None, now: float) -> dict[str, Any]:
    return {
        CACHE_MARKER: 1,
        "value": value if type(value) is dict else dict(value),
        "expires_at": None if remaining is None else now + remaining,
    }


class PassthroughCacheWrapper(BaseWrapper):
    """A primary store with a read-through cache store in front of it.

    Args:
        primary_key_value: The store that holds the data.
        cache_key_value: The store used as cache (e.g. ``memory://`` or Redis).
        maximum_ttl: Longest time, in seconds, an entry stays cached (default
            1800). An entry that expires sooner in the primary leaves the
            cache when it expires there.
        missing_ttl: How long to cache an entry that never expires in the
            primary (default ``maximum_ttl``; never more than it).
        write_through: ``False`` (default): a write deletes the key from the
            cache after writing the primary. ``True``: it puts the new value
            in the cache instead.

    Consistency, within one process (all calls through this wrapper object):
    once the calls touching a key have returned, a read through the wrapper
    returns what a read of the primary returns. Writes of one key (``put``,
    ``delete`` and their bulk forms) hold an in-process per-key lock while
    they write the primary and then the cache, so two writes cannot land in
    the two stores in different orders; a read that missed fills the cache
    only if no write of that key started or ran since it read the primary
    (per-key generation numbers, checked under the same lock), so it never
    caches a replaced or deleted value. Bulk calls take their keys' locks in
    sorted order. A write that fails or is cancelled after reaching the primary
    drops its keys from the cache (shielded, best effort), and ``destroy`` /
    ``destroy_collection`` wait for cache writes in flight and stop new ones
    until they are done. Reads that hit the cache take no lock.

    Across processes (or several wrapper objects over the same stores) there
    is no such coordination: a cached value may be up to ``maximum_ttl``
    seconds stale. Enumeration and ``cull`` use the primary; ``destroy`` and
    ``destroy_collection`` are offered when both stores offer them, and empty
    both.
    """

    def __init__(
        self,
        primary_key_value: kv.AsyncKeyValue,
        cache_key_value: kv.AsyncKeyValue,
        maximum_ttl: SupportsFloat | None = None,
        missing_ttl: SupportsFloat | None = None,
        *,
        write_through: bool = False,
    ) -> None:
        self.maximum_ttl = _check_ttl_option("maximum_ttl", maximum_ttl, DEFAULT_MAXIMUM_TTL)
        self.missing_ttl = min(
            _check_ttl_option("missing_ttl", missing_ttl, self.maximum_ttl), self.maximum_ttl
        )
        self.write_through = bool(write_through)
        self.primary_key_value = primary_key_value
        self.cache_key_value = cache_key_value
        self._default = default_collection_of(primary_key_value)
        self._keys: dict[tuple[str, str], _KeyState] = {}
        self._epoch = 0  # changes when a destroy starts and ends
        self._destroying = 0  # destroys in progress
        self._cache_writes = 0  # cache writes that passed their check, in flight
        self._cache_writes_done: anyio.Event | None = None
        super().__init__(primary_key_value)

    def __repr__(self) -> str:
        return (
            f"<PassthroughCacheWrapper {self.primary_key_value!r}"
            f" cached in {self.cache_key_value!r}>"
        )

    def _wrapped_stores(self) -> Sequence[object]:
        return [self.primary_key_value, self.cache_key_value]

    def _offered_operations(self) -> frozenset[str]:
        both = {"destroy", "destroy_collection"}
        return frozenset(
            flag
            for flag in self.passes_through
            if _offers(self.primary_key_value, flag)
            and (flag not in both or _offers(self.cache_key_value, flag))
        )

    # --- keeping the cache right -----------------------------------------------------

    def _cache_collection(self, collection: str | None) -> str:
        """The collection a call is about: ``None`` is the primary's default.

        The cache is always given this name, so a call with ``collection=None``
        and one naming the primary's default collection share cache entries
        (and locks) even when the cache store's own default differs.
        """
        return self._default if collection is None else collection

    def _enter(self, collection: str, keys: Sequence[str]) -> list[tuple[str, _KeyState]]:
        """Hold the records of ``keys`` (unique, sorted: the order locks are taken in)."""
        held = []
        for key in sorted(set(keys)):
            state = self._keys.get((collection, key))
            if state is None:
                state = self._keys[(collection, key)] = _KeyState()
            state.users += 1
            held.append((key, state))
        return held

    def _leave(self, collection: str, held: Sequence[tuple[str, _KeyState]]) -> None:
        for key, state in held:
            state.users -= 1
            if state.users == 0:
                del self._keys[(collection, key)]

    @staticmethod
    async def _lock_all(held: Sequence[tuple[str, _KeyState]]) -> None:
        """Take the locks of ``held`` (already sorted); all or none."""
        acquired: list[_KeyState] = []
        try:
            for _, state in held:
                await state.lock.acquire()
                acquired.append(state)
        except BaseException:
            for state in reversed(acquired):
                state.lock.release()
            raise

    @staticmethod
    def _unlock_all(held: Sequence[tuple[str, _KeyState]]) -> None:
        for _, state in reversed(held):
            state.lock.release()

    def _may_write_cache(self, epoch: int) -> bool:
        """Whether a write or fill may put values in the cache (no destroy since ``epoch``).

        Called under the keys' locks; when it says yes, the caller counts its
        cache write in flight (``_cache_writes``) until it has landed.
        """
        return self._destroying == 0 and self._epoch == epoch

    def _cache_write_done(self) -> None:
        """A cache write counted after ``_may_write_cache`` has landed (or failed)."""
        self._cache_writes -= 1
        if self._cache_writes == 0 and self._cache_writes_done is not None:
            self._cache_writes_done.set()
            self._cache_writes_done = None

    async def _drop_after_failure(self, keys: Sequence[str], collection: str) -> None:
        """The primary may have changed: drop the keys from the cache, shielded, best effort."""
        with anyio.move_on_after(_CLEANUP_TIMEOUT, shield=True), contextlib.suppress(Exception):
            await self._invalidate(list(dict.fromkeys(keys)), collection)

    def _cache_ttl(self, remaining: float | None) -> float:
        return self.missing_ttl if remaining is None else min(remaining, self.maximum_ttl)

    async def _fill(
        self, collection: str, found: Sequence[tuple[str, dict[str, Any], float | None]]
    ) -> None:
        """Cache entries read from the primary: one call for lasting, one for expiring."""
        now = time.time()
        lasting = [(key, _envelope(value, None, now)) for key, value, left in found if left is None]
        expiring = [
            (key, _envelope(value, left, now), left)
            for key, value, left in found
            if left is not None and left > 0
        ]
        if lasting:
            keys, envelopes = zip(*lasting)
            await self.cache_key_value.put_many(
                keys, envelopes, collection=collection, ttl=self.missing_ttl
            )
        if expiring:
            shortest = min(left for _, _, left in expiring)
            await self.cache_key_value.put_many(
                [key for key, _, _ in expiring],
                [envelope for _, envelope, _ in expiring],
                collection=collection,
                ttl=self._cache_ttl(shortest),
            )

    async def _invalidate(self, keys: Sequence[str], collection: str) -> None:
        if len(keys) == 1:
            await self.cache_key_value.delete(keys[0], collection=collection)
        elif keys:
            await self.cache_key_value.delete_many(keys, collection=collection)

    # --- reads ---------------------------------------------------------------------------

    async def _read(self, keys: Sequence[str], collection: str | None) -> list[_ValueAndTTL]:
        """``(value, remaining)`` per key: from the cache, the misses from the primary."""
        name = self._cache_collection(collection)
        if len(keys) == 1:
            cached = [await self.cache_key_value.get(keys[0], collection=name)]
        else:
            cached = await self.cache_key_value.get_many(keys, collection=name)
        now = time.time()
        results: list[_ValueAndTTL | None] = [_unwrap(stored, now) for stored in cached]
        missing = list(dict.fromkeys(key for key, hit in zip(keys, results) if hit is None))
        if not missing:
            return [hit for hit in results if hit is not None]
        held = self._enter(name, missing)
        try:
            # What the keys' generations were before the primary was read: a
            # write of a key that starts or ends meanwhile changes its generation.
            generations = {key: state.generation for key, state in held}
            epoch = self._epoch
            if len(missing) == 1:
                fetched = [await self.primary_key_value.ttl(missing[0], collection=collection)]
            else:
                fetched = await self.primary_key_value.ttl_many(missing, collection=collection)
            by_key = dict(zip(missing, fetched))
            if any(value is not None for value, _ in fetched):
                await self._fill_unless_written(name, held, by_key, generations, epoch)
        finally:
            self._leave(name, held)
        handed_out: set[str] = set()
        answer: list[_ValueAndTTL] = []
        for key, hit in zip(keys, results):
            if hit is not None:
                answer.append(hit)
                continue
            value, left = by_key[key]
            if key in handed_out and value is not None:
                value = copy.deepcopy(value)
            handed_out.add(key)
            answer.append((value, left))
        return answer

    async def _fill_unless_written(
        self,
        collection: str,
        held: Sequence[tuple[str, _KeyState]],
        by_key: Mapping[str, _ValueAndTTL],
        generations: Mapping[str, int],
        epoch: int,
    ) -> None:
        """Cache what the primary returned, for the keys no write touched since."""
        found = [(key, state) for key, state in held if by_key[key][0] is not None]
        await self._lock_all(found)
        try:
            if not self._may_write_cache(epoch):
                return
            fresh = []
            for key, state in found:
                value, left = by_key[key]
                if value is not None and state.generation == generations[key]:
                    fresh.append((key, value, left))
            if not fresh:
                return
            self._cache_writes += 1
            try:
                await self._fill(collection, fresh)
            finally:
                self._cache_write_done()
        finally:
            self._unlock_all(found)

    @typechecked
    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value of ``key``, from the cache if it is there."""
        return (await self._read([key], collection))[0][0]

    @typechecked
    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining seconds in the primary)``, cached if possible."""
        return (await self._read([key], collection))[0]

    @typechecked
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        """Return the values of ``keys``; misses are read from the primary in one call."""
        if not keys:
            return await self.primary_key_value.get_many(keys, collection=collection)
        return [value for value, _ in await self._read(keys, collection)]

    @typechecked
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """Return ``(value, remaining seconds)`` per key; misses read in one call."""
        if not keys:
            return await self.primary_key_value.ttl_many(keys, collection=collection)
        return await self._read(keys, collection)

    # --- writes ----------------------------------------------------------------------------

    async def _write(
        self,
        keys: Sequence[str],
        collection: str | None,
        primary_write: Callable[[], Awaitable[T]],
        values: Sequence[Mapping[str, Any]] | None,
        ttl: SupportsFloat | None,
    ) -> T:
        """Write the primary, then the cache, holding the keys' locks throughout.

        ``values`` are written through to the cache (``write_through`` puts),
        or ``None``: the keys are deleted from the cache.
        """
        if isinstance(keys, (str, bytes)) or not all(type(key) is str for key in keys):
            return await primary_write()  # refused by the primary: nothing to keep right
        name = self._cache_collection(collection)
        held = self._enter(name, keys)
        try:
            await self._lock_all(held)
            try:
                return await self._write_locked(keys, name, held, primary_write, values, ttl)
            finally:
                self._unlock_all(held)
        finally:
            self._leave(name, held)

    async def _write_locked(
        self,
        keys: Sequence[str],
        collection: str,
        held: Sequence[tuple[str, _KeyState]],
        primary_write: Callable[[], Awaitable[T]],
        values: Sequence[Mapping[str, Any]] | None,
        ttl: SupportsFloat | None,
    ) -> T:
        epoch = self._epoch
        for _, state in held:
            state.generation += 1
        try:
            try:
                result = await primary_write()
            except KeyValueOperationError:
                raise  # refused before anything was written
            except BaseException:
                await self._drop_after_failure(keys, collection)
                raise
            try:
                if values is not None and self._may_write_cache(epoch):
                    self._cache_writes += 1
                    try:
                        await self._write_through(keys, values, collection, ttl)
                    finally:
                        self._cache_write_done()
                else:
                    await self._invalidate(list(dict.fromkeys(keys)), collection)
            except BaseException:
                await self._drop_after_failure(keys, collection)
                raise
            return result
        finally:
            for _, state in held:
                state.generation += 1

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Write ``value`` to the primary, then invalidate (or update) the cache."""
        await self._write(
            [key],
            collection,
            lambda: self.primary_key_value.put(key, value, collection=collection, ttl=ttl),
            [value] if self.write_through else None,
            ttl,
        )

    @typechecked
    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Write the values to the primary, then invalidate (or update) the cache."""
        await self._write(
            keys,
            collection,
            lambda: self.primary_key_value.put_many(keys, values, collection=collection, ttl=ttl),
            values if self.write_through else None,
            ttl,
        )

    async def _write_through(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        collection: str,
        ttl: SupportsFloat | None,
    ) -> None:
        if not keys:
            return
        remaining = validate_ttl(ttl)
        now = time.time()
        envelopes = [_envelope(value, remaining, now) for value in values]
        await self.cache_key_value.put_many(
            keys, envelopes, collection=collection, ttl=self._cache_ttl(remaining)
        )

    @typechecked
    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Delete ``key`` from the primary and the cache."""
        return await self._write(
            [key],
            collection,
            lambda: self.primary_key_value.delete(key, collection=collection),
            None,
            None,
        )

    @typechecked
    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys`` from the primary and the cache."""
        return await self._write(
            keys,
            collection,
            lambda: self.primary_key_value.delete_many(keys, collection=collection),
            None,
            None,
        )

    # --- atomic: on the primary, then invalidate ---------------------------------------------

    def _primary_atomic(self) -> AtomicKeyValue:
        return cast(AtomicKeyValue, self.primary_key_value)

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        primary = self._primary_atomic()
        return await self._write(
            [key],
            collection,
            lambda: primary.put_if_absent(key, value, collection=collection, ttl=ttl),
            None,
            None,
        )

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Versioned | None:
        return await self._primary_atomic().get_versioned(key, collection=collection)

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        primary = self._primary_atomic()
        return await self._write(
            [key],
            collection,
            lambda: primary.put_if_version(key, value, version, collection=collection, ttl=ttl),
            None,
            None,
        )

    async def _pass_delete_if_version(self, key: str, version: str, collection: str | None) -> bool:
        primary = self._primary_atomic()
        return await self._write(
            [key],
            collection,
            lambda: primary.delete_if_version(key, version, collection=collection),
            None,
            None,
        )

    # --- optional capabilities ---------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _destroying_both(self) -> AsyncIterator[None]:
        """Stop new cache writes, wait for those in flight, then let the caller empty both."""
        self._destroying += 1
        self._epoch += 1
        try:
            while self._cache_writes:
                if self._cache_writes_done is None:
                    self._cache_writes_done = anyio.Event()
                await self._cache_writes_done.wait()
            yield
        finally:
            self._destroying -= 1
            self._epoch += 1

    async def _pass_destroy(self) -> bool:
        async with self._destroying_both():
            destroyed = await super()._pass_destroy()
            await self.cache_key_value.destroy()  # type: ignore[attr-defined]
            return destroyed

    async def _pass_destroy_collection(self, collection: str) -> bool:
        async with self._destroying_both():
            destroyed = await super()._pass_destroy_collection(collection)
            await self.cache_key_value.destroy_collection(collection)  # type: ignore[attr-defined]
            return destroyed

    async def _pass_cull(self) -> int:
        removed = await super()._pass_cull()
        if isinstance(self.cache_key_value, kv.Cull):
            await self.cache_key_value.cull()
        return removed
