"""``StatisticsWrapper``: count reads, hits, misses, writes and deletes per collection.

::

    from kv_wrappers import StatisticsWrapper

    store = StatisticsWrapper(kv.connect("memory://"))
    await store.get("alice", collection="users")
    stats = store.statistics.get_collection("users")
    stats.get.count, stats.get.hit, stats.get.miss  # 1, 0, 1

Counts are per key: ``get_many`` of three keys adds three to ``get.count``,
split into hits and misses; ``put_many`` adds one put per key. A call that
raises counts nothing. ``collection=None`` is counted under the wrapped
store's own default collection name (and still passed on as ``None``).
Enumeration, destroy and cull pass through uncounted. The dataclasses keep
py-key-value's names (``KVStoreStatistics``, ``get_collection``, ...).

The ``atomic`` operations pass through when the wrapped store has them:
``get_versioned`` counts as a get (hit or miss), and each conditional write
(``put_if_absent``, ``put_if_version``, ``delete_if_version``) counts in
``conditional``: a hit when it wrote (or deleted), a miss when its condition
refused it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, SupportsFloat

import kv
from kv.atomic import Versioned
from kv_wrappers._support import count_found, default_collection_of
from kv_wrappers.base import PROTOCOL_CALLS, BaseWrapper, protocol_calls

__all__ = [
    "ConditionalStatistics",
    "DeleteStatistics",
    "GetStatistics",
    "KVStoreCollectionStatistics",
    "KVStoreStatistics",
    "PutStatistics",
    "StatisticsWrapper",
    "TTLStatistics",
]


@dataclass
class BaseStatistics:
    """A counter of operations (one per key for bulk calls).

    Attributes:
        count: How many operations were counted.
    """

    count: int = 0

    def increment(self, *, increment: int = 1) -> None:
        """Add ``increment`` operations."""
        self.count += increment


@dataclass
class BaseHitMissStatistics(BaseStatistics):
    """A counter of operations that found something (hit) or not (miss).

    Attributes:
        hit: Operations that found a live entry.
        miss: Operations that found nothing.
    """

    hit: int = 0
    miss: int = 0

    def increment_hit(self, *, increment: int = 1) -> None:
        """Add ``increment`` hits."""
        self.count += increment
        self.hit += increment

    def increment_miss(self, *, increment: int = 1) -> None:
        """Add ``increment`` misses."""
        self.count += increment
        self.miss += increment


@dataclass
class GetStatistics(BaseHitMissStatistics):
    """``get`` and ``get_many``: a hit per key that had a value."""


@dataclass
class TTLStatistics(BaseHitMissStatistics):
    """``ttl`` and ``ttl_many``: a hit per key that had a value."""


@dataclass
class PutStatistics(BaseStatistics):
    """``put`` and ``put_many``: one per key written."""


@dataclass
class DeleteStatistics(BaseHitMissStatistics):
    """``delete`` and ``delete_many``: a hit per key that existed."""


@dataclass
class ConditionalStatistics(BaseHitMissStatistics):
    """``put_if_absent``, ``put_if_version`` and ``delete_if_version``: a hit per
    write its condition let through, a miss per write it refused."""


@dataclass
class KVStoreCollectionStatistics(BaseStatistics):
    """Every counter of one collection.

    Attributes:
        count: All operations counted for the collection (the sum of the five).
        get: ``get``/``get_many``, and ``get_versioned``.
        ttl: ``ttl``/``ttl_many``.
        put: ``put``/``put_many``.
        delete: ``delete``/``delete_many``.
        conditional: The conditional writes of the ``atomic`` capability.
    """

    get: GetStatistics = field(default_factory=GetStatistics)
    ttl: TTLStatistics = field(default_factory=TTLStatistics)
    put: PutStatistics = field(default_factory=PutStatistics)
    delete: DeleteStatistics = field(default_factory=DeleteStatistics)
    conditional: ConditionalStatistics = field(default_factory=ConditionalStatistics)


@dataclass
class KVStoreStatistics:
    """The counters of every collection used through the wrapper.

    Attributes:
        collections: Collection name -> its counters.
    """

    collections: dict[str, KVStoreCollectionStatistics] = field(default_factory=dict)

    def get_collection(self, collection: str) -> KVStoreCollectionStatistics:
        """The counters of ``collection`` (created at zero on first use)."""
        found = self.collections.get(collection)
        if found is None:
            found = self.collections[collection] = KVStoreCollectionStatistics()
        return found

    def reset(self) -> None:
        """Forget every counter."""
        self.collections.clear()


def _count_hits(counter: BaseHitMissStatistics, hits: int, total: int) -> None:
    """Count ``total`` operations on ``counter``: ``hits`` hits, the others misses."""
    counter.increment_hit(increment=hits)
    counter.increment_miss(increment=total - hits)


_TALLIES: dict[str, tuple[str, Callable[[Any], int] | None]] = {
    "get": ("get", lambda value: int(value is not None)),
    "ttl": ("ttl", lambda result: int(result[0] is not None)),
    "put": ("put", None),
    "delete": ("delete", int),
    "get_many": ("get", count_found),
    "ttl_many": ("ttl", lambda results: count_found([value for value, _ in results])),
    "put_many": ("put", None),
    "delete_many": ("delete", int),
}
"""Per protocol call: the counter it adds to, and how many hits its result holds
(``None``: a call that counts no hits, a put)."""


def _counted_call(keys: str) -> list[str]:
    """The body of a protocol call: the wrapped store's call, then its count."""
    return [
        "_kv_result_ = await self.key_value.{name}({rest})",
        f"self._tally('{{name}}', collection, {keys}, _kv_result_)",
        "return _kv_result_",
    ]


@protocol_calls(_counted_call("1"), calls=("get", "ttl", "put", "delete"), doc="Counted.")
@protocol_calls(
    _counted_call("len(keys)"),
    calls=("get_many", "ttl_many", "put_many", "delete_many"),
    doc="Counted.",
)
class StatisticsWrapper(BaseWrapper):
    """Count the operations made through this wrapper, per collection.

    Args:
        key_value: The store to wrap.

    Attributes:
        statistics: The counters (:class:`KVStoreStatistics`).
    """

    def __init__(self, key_value: kv.AsyncKeyValue) -> None:
        self.statistics = KVStoreStatistics()
        self._default = default_collection_of(key_value)
        super().__init__(key_value)

    _hands_arguments_on = frozenset(PROTOCOL_CALLS)

    @property
    def default_collection(self) -> str:
        """The wrapped store's default collection (where ``None`` is counted)."""
        return self._default

    def _counted(self, collection: str | None, total: int) -> KVStoreCollectionStatistics:
        """The counters of ``collection``, ``total`` operations added to its count."""
        name = self._default if collection is None else collection
        stats = self.statistics.collections.get(name) or self.statistics.get_collection(name)
        stats.count += total
        return stats

    def _tally(self, operation: str, collection: str | None, total: int, result: Any) -> None:
        """Count ``total`` operations of a protocol call that returned ``result``."""
        counter_name, hits = _TALLIES[operation]
        counter = getattr(self._counted(collection, total), counter_name)
        if hits is None:
            counter.increment(increment=total)
        else:
            _count_hits(counter, hits(result), total)

    # --- atomic ------------------------------------------------------------------------

    def _count_conditional(self, collection: str | None, done: bool) -> bool:
        _count_hits(self._counted(collection, 1).conditional, int(done), 1)
        return done

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        done = await super()._pass_put_if_absent(key, value, collection, ttl)
        return self._count_conditional(collection, done)

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Versioned | None:
        found = await super()._pass_get_versioned(key, collection)
        _count_hits(self._counted(collection, 1).get, int(found is not None), 1)
        return found

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        done = await super()._pass_put_if_version(key, value, version, collection, ttl)
        return self._count_conditional(collection, done)

    async def _pass_delete_if_version(self, key: str, version: str, collection: str | None) -> bool:
        done = await super()._pass_delete_if_version(key, version, collection)
        return self._count_conditional(collection, done)
