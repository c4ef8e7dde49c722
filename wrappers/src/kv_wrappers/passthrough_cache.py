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
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, SupportsFloat

import kv
from kv._typecheck import typechecked
from kv.errors import InvalidOptionError, InvalidTTLError, KeyValueOperationError
from kv.ttl import validate_ttl
from kv_wrappers.base import BaseWrapper, _offers

__all__ = ["CACHE_MARKER", "DEFAULT_MAXIMUM_TTL", "PassthroughCacheWrapper"]

CACHE_MARKER = "__kv_cache__"
"""The field that marks a cache envelope (its value is the envelope version, 1)."""
DEFAULT_MAXIMUM_TTL = 1800.0
"""How long an entry stays cached at most, by default (py-key-value's 30 minutes)."""

_ValueAndTTL = tuple[dict[str, Any] | None, float | None]


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

    Within one process, a read that overlaps a write does not fill the cache,
    so it cannot cache the value the write replaced; across processes, a
    cached value may be up to ``maximum_ttl`` seconds stale. Enumeration and
    ``cull`` use the primary; ``destroy`` and ``destroy_collection`` are
    offered when both stores offer them, and empty both.
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
        self._write_seq = 0
        self._writes_in_flight = 0
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

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        self._write_seq += 1
        self._writes_in_flight += 1
        try:
            yield
        finally:
            self._writes_in_flight -= 1
            self._write_seq += 1

    def _may_fill(self, seq: int) -> bool:
        """Whether no write started or ran since ``seq`` was read."""
        return self._writes_in_flight == 0 and self._write_seq == seq

    def _cache_ttl(self, remaining: float | None) -> float:
        return self.missing_ttl if remaining is None else min(remaining, self.maximum_ttl)

    async def _fill(
        self, collection: str | None, found: Sequence[tuple[str, dict[str, Any], float | None]]
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

    async def _invalidate(self, keys: Sequence[str], collection: str | None) -> None:
        if len(keys) == 1:
            await self.cache_key_value.delete(keys[0], collection=collection)
        elif keys:
            await self.cache_key_value.delete_many(keys, collection=collection)

    # --- reads ---------------------------------------------------------------------------

    async def _read(self, keys: Sequence[str], collection: str | None) -> list[_ValueAndTTL]:
        """``(value, remaining)`` per key: from the cache, the misses from the primary."""
        if len(keys) == 1:
            cached = [await self.cache_key_value.get(keys[0], collection=collection)]
        else:
            cached = await self.cache_key_value.get_many(keys, collection=collection)
        now = time.time()
        results: list[_ValueAndTTL | None] = [_unwrap(stored, now) for stored in cached]
        missing = list(dict.fromkeys(key for key, hit in zip(keys, results) if hit is None))
        if not missing:
            return [hit for hit in results if hit is not None]
        seq = self._write_seq
        if len(missing) == 1:
            fetched = [await self.primary_key_value.ttl(missing[0], collection=collection)]
        else:
            fetched = await self.primary_key_value.ttl_many(missing, collection=collection)
        by_key = dict(zip(missing, fetched))
        found = [(key, value, left) for key, (value, left) in by_key.items() if value is not None]
        if found and self._may_fill(seq):
            await self._fill(collection, found)
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

    async def _after_failed_write(self, keys: Sequence[str], collection: str | None) -> None:
        """The primary may have changed: drop the cached entries, best effort."""
        with contextlib.suppress(Exception):
            await self._invalidate(keys, collection)

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
        with self._writing():
            try:
                await self.primary_key_value.put(key, value, collection=collection, ttl=ttl)
            except KeyValueOperationError:
                raise  # refused before anything was written
            except Exception:
                await self._after_failed_write([key], collection)
                raise
            if self.write_through:
                await self._write_through([key], [value], collection, ttl)
            else:
                await self._invalidate([key], collection)

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
        with self._writing():
            try:
                await self.primary_key_value.put_many(keys, values, collection=collection, ttl=ttl)
            except KeyValueOperationError:
                raise
            except Exception:
                await self._after_failed_write(keys, collection)
                raise
            if self.write_through:
                await self._write_through(keys, values, collection, ttl)
            else:
                await self._invalidate(list(dict.fromkeys(keys)), collection)

    async def _write_through(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        collection: str | None,
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
        with self._writing():
            try:
                deleted = await self.primary_key_value.delete(key, collection=collection)
            except KeyValueOperationError:
                raise
            except Exception:
                await self._after_failed_write([key], collection)
                raise
            await self._invalidate([key], collection)
            return deleted

    @typechecked
    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys`` from the primary and the cache."""
        with self._writing():
            try:
                deleted = await self.primary_key_value.delete_many(keys, collection=collection)
            except KeyValueOperationError:
                raise
            except Exception:
                await self._after_failed_write(keys, collection)
                raise
            await self._invalidate(list(dict.fromkeys(keys)), collection)
            return deleted

    # --- optional capabilities ---------------------------------------------------------------

    async def _pass_destroy(self) -> bool:
        with self._writing():
            destroyed = await super()._pass_destroy()
            await self.cache_key_value.destroy()  # type: ignore[attr-defined]
            return destroyed

    async def _pass_destroy_collection(self, collection: str) -> bool:
        with self._writing():
            destroyed = await super()._pass_destroy_collection(collection)
            await self.cache_key_value.destroy_collection(collection)  # type: ignore[attr-defined]
            return destroyed

    async def _pass_cull(self) -> int:
        removed = await super()._pass_cull()
        if isinstance(self.cache_key_value, kv.Cull):
            await self.cache_key_value.cull()
        return removed
