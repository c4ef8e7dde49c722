"""``RespStore``: the store of kv-redis and kv-valkey, written once.

A plugin subclasses :class:`RespStore` and sets three class attributes: its
:class:`~kv_resp.driver.RespDriver` (client classes and exceptions), its
:class:`~kv_resp.options.RespSchemes` and its capabilities. Everything else
is here:

* one string key per entry (:mod:`kv_resp.keys`), holding the entry's JSON
  document; native expiry with ``SET ... PX`` in milliseconds, rounded up so
  a sub-second TTL is never 0;
* ``get_many`` is one ``MGET``; ``put_many`` one round trip (``MSET``
  without a TTL, a pipeline of ``SET ... PX`` with one); ``delete_many`` one
  ``DEL``. On a cluster, keys are grouped by hash slot (a multi-key command
  must stay within one slot) and sent as one pipeline: one round trip per node;
* the atomic operations (:mod:`kv_resp.atomic`): one Lua script each for
  ``put_if_absent``, ``put_if_version`` and ``delete_if_version`` (version:
  the SHA-1 of the stored document), sent once, never retried after a broken
  connection;
* enumeration and ``destroy()`` walk the keyspace with ``SCAN`` (cursor
  followed to 0, on every primary of a cluster) and never use ``KEYS`` or
  ``FLUSHDB``: only keys this store owns are listed or deleted.

The client library is used through its asyncio API, so these stores run
under asyncio (not trio). A client and its connections belong to the event
loop that made them, so the store keeps one client per running loop
(:class:`kv.loops.PerLoop`): one store object serves successive
``asyncio.run()`` calls, and each loop's client is closed when that loop
shuts down.

**Calls in flight.** At most ``max_connections`` calls of one store run at
once in one loop (each holds one connection per node it talks to); the
others wait their turn, first come first served, instead of being refused by
the client's pool. The client's own pool is therefore left unbounded.

**Timeout.** ``socket_timeout`` bounds what a caller waits: a call that
finds every connection busy waits for one and for its reply within that
time; a call on a cluster (whose client retries timeouts by itself) is cut
off after that time. A timed-out command is not retried (only a broken
connection is, on a new one), so a standalone server that stops answering
fails a call after ``socket_timeout``, not a multiple of it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, ClassVar, TypeVar

from kv.entry import StoredEntry, decode_document, encode_document
from kv.errors import DeserializationError, KeyValueError, StoreTimeoutError
from kv.loops import PerLoop
from kv.names import compound_key
from kv.store import (
    AtomicMixin,
    BaseStore,
    DestroyCollectionMixin,
    DestroyMixin,
    EnumerateCollectionsMixin,
    EnumerateKeysMixin,
)
from kv.url import StoreURL
from kv_resp.atomic import (
    DELETE_IF_VERSION,
    PUT_IF_ABSENT,
    PUT_IF_VERSION,
    RespScript,
    document_version,
)
from kv_resp.driver import RespDriver, build_client, translate_error
from kv_resp.keys import RespKeyLayout
from kv_resp.options import DEFAULT_PORT, RespOptions, RespSchemes, RespTarget, parse_target
from kv_resp.scan import ScanSize

__all__ = ["RespStore", "ttl_milliseconds"]

T = TypeVar("T")

_UNLIMITED = sys.maxsize
"""The number of call slots of a store without ``max_connections``."""

_PATTERNS_KEPT = 256
"""Collections whose ``SCAN`` pattern a store keeps (then it starts over)."""

_FIRST_SLOTS = 8
"""Call slots open at first (the rest open as calls wait, see :class:`_LoopClient`)."""


class _LoopClient:
    """One event loop's client, and the gate that bounds the store's calls in flight.

    ``free`` counts the calls that may still start at once; a call that finds
    none waits in ``waiters`` (first come, first served) and is handed the
    slot of the next call that ends. The slots open gradually: a store starts
    with :data:`_FIRST_SLOTS`; while calls wait, one more slot opens, and the
    next one only once the call given that slot has ended (it may have had
    to connect first). So a burst of calls does not open (and handshake, TLS
    and all) every connection at the same moment: the connections already
    open keep serving while new ones are made, one at a time.
    """

    __slots__ = ("bounded", "client", "cluster", "free", "growth", "opening", "owned", "waiters")

    def __init__(self, client: Any, *, cluster: bool, owned: bool, limit: int | None) -> None:
        self.client = client
        self.cluster = cluster
        self.owned = owned
        # Calls on a cluster client the store built run under the store's
        # deadline: that client retries timeouts by itself.
        self.bounded = cluster and owned
        limit = _UNLIMITED if limit is None else limit
        self.free = min(limit, _FIRST_SLOTS)
        self.growth = limit - self.free
        self.opening = False
        self.waiters: collections.deque[asyncio.Future[bool]] = collections.deque()

    async def acquire(self) -> bool:
        """Take a call slot, waiting for one if there is none (cancellable).

        Returns whether the slot is a newly opened one (give it back with
        ``release(opened=True)``).
        """
        if self.free > 0:
            self.free -= 1
            return False
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release(opened=waiter.result())  # handed a slot it will not use
            else:
                with contextlib.suppress(ValueError):
                    self.waiters.remove(waiter)
            raise

    def release(self, opened: bool = False) -> None:
        """Give a call slot back: to the first waiting call, if any."""
        if opened:
            self.opening = False
        if self.waiters:
            self._hand_over(False)
            if self.growth > 0 and not self.opening and self.waiters:
                self.growth -= 1  # calls are waiting: open one more slot
                self.opening = True
                self._hand_over(True)
            return
        self.free += 1

    def _hand_over(self, opened: bool) -> None:
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(opened)
                return
        self.free += 1
        if opened:
            self.opening = False


if sys.version_info >= (3, 11):

    async def _within(deadline: float, call: Awaitable[T]) -> T:
        """Await ``call``; ``TimeoutError`` once the loop's clock passes ``deadline``."""
        async with asyncio.timeout_at(deadline):
            return await call

else:  # pragma: no cover - Python 3.10

    async def _within(deadline: float, call: Awaitable[T]) -> T:
        """Await ``call``; ``TimeoutError`` once the loop's clock passes ``deadline``."""
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            return await asyncio.wait_for(call, max(0.0, remaining))
        except asyncio.TimeoutError:
            raise TimeoutError from None


def ttl_milliseconds(ttl: float) -> int:
    """A TTL in whole milliseconds for ``PX``, rounded up: never 0 for a TTL > 0.

    The product is first rounded to nanoseconds, so float noise does not add
    a millisecond (``0.3`` is 300 ms, not 301).
    """
    return max(1, math.ceil(round(ttl * 1000.0, 6)))


class RespStore(
    AtomicMixin,
    EnumerateKeysMixin,
    EnumerateCollectionsMixin,
    DestroyMixin,
    DestroyCollectionMixin,
    BaseStore,
    abstract=True,
):
    """A kv store on a server that speaks RESP (Redis, Valkey), standalone or cluster.

    Subclasses set :attr:`driver`, :attr:`schemes`, ``capabilities`` and
    ``store_name``. Nothing connects until the first call.

    Options (a URL first, keywords, or a :class:`~kv_resp.options.RespOptions`):
    ``RedisStore("rediss://cache:6380/0", namespace="app")`` means what
    ``kv.connect`` means with the same URL and keywords (the URL's query and
    user info are options too); ``RedisStore(client=...)`` uses an existing
    asyncio client instead of a URL. Without either, the store connects to
    ``<plain scheme>://localhost:6379/0``.

    Raises:
        InvalidURLError: the URL does not fit the plugin's forms.
        InvalidOptionError: an unknown option or a bad value.
    """

    driver: ClassVar[RespDriver]
    """The client library (set by the plugin)."""
    schemes: ClassVar[RespSchemes]
    """The URL schemes served (set by the plugin)."""

    Options = RespOptions
    options: RespOptions

    def __init__(
        self, options: RespOptions | str | StoreURL | None = None, /, **keywords: object
    ) -> None:
        super().__init__(options, **keywords)
        parsed = self.options
        target: RespTarget | None = None
        if parsed.client is None:
            url = parsed.url or f"{self.schemes.plain}://localhost:{DEFAULT_PORT}/0"
            target = parse_target(StoreURL.parse(url), self.schemes, parsed)
        self.target: RespTarget | None = target
        """What the store connects to; ``None`` when it was given a client."""
        self.layout: RespKeyLayout = RespKeyLayout(parsed.namespace)
        """The store's key layout (namespace and patterns)."""
        self._prefix = self.layout.prefix
        self._patterns: dict[str, tuple[str, int]] = {}
        """``SCAN MATCH`` pattern and prefix length (bytes) of the collections listed."""
        self._user_client: Any = parsed.client
        self._timeout = parsed.socket_timeout
        self._clients: PerLoop[_LoopClient] = PerLoop(
            self._connect, close=_disconnect, close_with_loop=True
        )
        where = self.store_name
        self._where = f"{where} at {target.describe()}" if target is not None else where

    def __repr__(self) -> str:
        namespace = "" if self.layout.namespace is None else f" namespace={self.layout.namespace!r}"
        where = self.target.describe() if self.target is not None else "client"
        return f"<{type(self).__name__} {where}{namespace}>"

    @property
    def client(self) -> Any:
        """The running event loop's client (``None`` until the store is used in it)."""
        try:
            here = self._clients.current
        except RuntimeError:  # no running loop
            return None
        return None if here is None else here.client

    # --- lifecycle ---------------------------------------------------------------

    async def _connect(self) -> _LoopClient:
        """The running loop's client: the user's, or a new one (made by PerLoop)."""
        client = self._user_client
        owned = client is None
        if owned:
            assert self.target is not None
            # An unbounded pool: the store's own gate bounds the calls in flight.
            client = build_client(self.driver, self.target, self.options)
        cluster = isinstance(client, self.driver.cluster_client)
        if cluster:
            # Learn the slot map before the first command. redis-py 8 decides a
            # command's route before it initializes, so concurrent first calls
            # on an uninitialized cluster client all go to one node and come
            # back MOVED (and every 5th MOVED resets every connection).
            try:
                if owned and self._timeout is not None:
                    deadline = asyncio.get_running_loop().time() + self._timeout
                    await _within(deadline, client.initialize())
                else:
                    await client.initialize()
            except BaseException as error:
                if owned:
                    await client.aclose()
                if isinstance(error, TimeoutError):
                    raise self._timeout_error() from None
                raise
        return _LoopClient(client, cluster=cluster, owned=owned, limit=self.options.max_connections)

    async def _open(self) -> None:
        await self._clients.get()

    async def _close(self) -> None:
        await self._clients.close()

    def _timeout_error(self) -> StoreTimeoutError:
        return StoreTimeoutError(f"{self._where} did not answer within {self._timeout:g} s")

    def _free_slot(self) -> _LoopClient | None:
        """The running loop's client with a call slot taken, if one is free now.

        The hot path: no waiting, and the client's ``socket_timeout`` bounds
        the reply (a timed-out command is not retried). The caller must
        ``release()`` the slot. ``None``: go through :meth:`_run`.
        """
        here = self._clients.current
        if here is not None and here.free > 0 and not here.bounded:
            here.free -= 1
            return here
        return None

    def _free_standalone_slot(self) -> _LoopClient | None:
        """:meth:`_free_slot` for a multi-key command sent as it is (``MGET``, ``MSET``,
        ``DEL``): ``None`` on a cluster client too, which splits them by slot."""
        here = self._clients.current
        if here is not None and here.free > 0 and not here.cluster:
            here.free -= 1
            return here
        return None

    async def _run(self, call: Callable[[Any], Awaitable[T]]) -> T:
        """``call(client)`` with the running loop's client, in a call slot, in time."""
        here = self._free_slot()
        if here is not None:
            try:
                return await call(here.client)
            finally:
                here.release()
        here = self._clients.current or await self._clients.get()
        return await self._run_gated(here, call)

    async def _run_gated(self, here: _LoopClient, call: Callable[[Any], Awaitable[T]]) -> T:
        """The slow path: wait for a slot, the wait and the call within the timeout."""
        if self._timeout is None:
            return await _gated(here, call)
        deadline = asyncio.get_running_loop().time() + self._timeout
        try:
            return await _within(deadline, _gated(here, call))
        except TimeoutError:
            raise self._timeout_error() from None

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        return translate_error(
            error,
            self.driver.errors,
            where=self._where,
            secrets=(self.options.password, self.options.ssl_password),
        )

    # --- single entries ----------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        raw = await self._point_command("GET", self._prefix + compound_key(collection, key))
        if raw is None:
            return None
        return decode_document(raw)

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        name = self._prefix + compound_key(collection, key)
        document = encode_document(entry, collection=collection, key=key)
        args: tuple[Any, ...] = (
            ("SET", name, document)
            if ttl is None
            else ("SET", name, document, "PX", ttl_milliseconds(ttl))
        )
        await self._point_command(*args)

    async def _delete_entry(self, collection: str, key: str) -> bool:
        name = self._prefix + compound_key(collection, key)
        return bool(await self._point_command("DEL", name))

    async def _point_command(self, *args: Any) -> Any:
        """Send one command of a single-key call, on a free client slot when there is one.

        ``execute_command``, not ``get()``/``set()``: the hot path skips the
        helpers' argument checks.
        """
        here = self._free_slot()
        if here is None:
            return await self._run(lambda client: client.execute_command(*args))
        try:
            return await here.client.execute_command(*args)
        finally:
            here.release()

    # --- atomic operations (kv_resp.atomic) ---------------------------------------

    async def _run_script(self, script: RespScript, name: str, *args: Any) -> bool:
        driver = self.driver

        async def run(client: Any) -> Any:
            cluster = isinstance(client, driver.cluster_client)
            return await script.run(driver, client, cluster, name, *args)

        return bool(int(await self._run(run)))

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        name = self._prefix + compound_key(collection, key)
        document = encode_document(entry, collection=collection, key=key)
        milliseconds = "" if ttl is None else str(ttl_milliseconds(ttl))
        return await self._run_script(
            PUT_IF_ABSENT, name, document, milliseconds, _seconds(entry.created_at)
        )

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        name = self._prefix + compound_key(collection, key)
        # A read: the client's retries are safe here.
        raw = await self._run(lambda client: client.execute_command("GET", name))
        if raw is None:
            return None
        return decode_document(raw), document_version(raw)

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        name = self._prefix + compound_key(collection, key)
        document = encode_document(entry, collection=collection, key=key)
        milliseconds = "" if ttl is None else str(ttl_milliseconds(ttl))
        return await self._run_script(
            PUT_IF_VERSION, name, version, document, milliseconds, _seconds(entry.created_at)
        )

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        name = self._prefix + compound_key(collection, key)
        return await self._run_script(DELETE_IF_VERSION, name, version, repr(now))

    # --- bulk ----------------------------------------------------------------------

    def _names(self, collection: str, keys: Sequence[str]) -> list[str]:
        prefix = self._prefix
        return [prefix + compound_key(collection, key) for key in keys]

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        names = self._names(collection, keys)
        here = self._free_standalone_slot()
        if here is not None:  # the hot path: one MGET
            try:
                raws = await here.client.execute_command("MGET", *names)
            finally:
                here.release()
        else:
            # One MGET; a cluster client groups the keys by slot, one pipeline per node.
            raws = await self._run(
                lambda client: (
                    client.mget_nonatomic(names)
                    if isinstance(client, self.driver.cluster_client)
                    else client.mget(names)
                )
            )
        entries: list[StoredEntry | None] = []
        append = entries.append
        for key, raw in zip(keys, raws):
            if raw is None:
                append(None)
                continue
            try:
                append(decode_document(raw))
            except DeserializationError as error:
                error.add_context(key=key)
                raise
        return entries

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        names = self._names(collection, keys)
        documents = [
            encode_document(entry, collection=collection, key=key)
            for key, entry in zip(keys, entries)
        ]
        if ttl is None:
            mapping = dict(zip(names, documents))  # later duplicates win
            here = self._free_standalone_slot()
            if here is not None:  # the hot path: one MSET
                try:
                    await here.client.execute_command("MSET", *_pairs(mapping))
                finally:
                    here.release()
                return
            await self._run(
                lambda client: (
                    client.mset_nonatomic(mapping)
                    if isinstance(client, self.driver.cluster_client)
                    else client.mset(mapping)
                )
            )
            return
        milliseconds = ttl_milliseconds(ttl)

        async def set_all(client: Any) -> None:
            # One round trip (per node): a pipeline without MULTI/EXEC, in order.
            pipe = client.pipeline(transaction=False)
            for name, document in zip(names, documents):
                pipe.set(name, document, px=milliseconds)
            await pipe.execute()

        await self._run(set_all)

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        names = self._names(collection, keys)
        here = self._free_standalone_slot()
        if here is not None:  # the hot path: one DEL
            try:
                return int(await here.client.execute_command("DEL", *names))
            finally:
                here.release()
        # One DEL; a cluster client splits it by slot, one pipeline per node.
        deleted = await self._run(lambda client: client.delete(*names))
        return int(deleted)

    # --- walking the keyspace ----------------------------------------------------

    async def _scan(self, pattern: str, size: ScanSize) -> AsyncGenerator[list[Any], None]:
        """Every string key matching ``pattern``, in batches, on every node.

        Each ``SCAN`` asks for ``size.count`` keys; the consumer reports what it
        could use of each batch with ``size.record()``, which sizes the next
        call. The cursor is followed until the server returns 0 (or the
        consumer stops), so the walk is complete; a batch may be empty (``MATCH``
        filters after scanning) and a key may come twice if the keyspace is
        resized meanwhile.
        """
        here = self._clients.current or await self._clients.get()
        if not here.cluster:
            cursor: Any = 0
            while True:
                cursor, batch = await self._scan_step(cursor, pattern, size.count)
                yield batch
                if not int(cursor):
                    return

        async def primaries(client: Any) -> list[Any]:
            await client.initialize()
            return list(client.get_primaries())

        for node in await self._run(primaries):
            cursor = 0
            while True:
                cursors, batch = await self._scan_step(cursor, pattern, size.count, node)
                yield batch
                cursor = next(iter(cursors.values()), 0)
                if not int(cursor):
                    break

    async def _scan_step(
        self, cursor: Any, pattern: str, count: int, node: Any = None
    ) -> tuple[Any, list[Any]]:
        """One ``SCAN`` call (on ``node`` of a cluster)."""
        if node is None:
            return await self._run(
                lambda client: client.scan(
                    cursor=cursor, match=pattern, count=count, _type="string"
                )
            )
        return await self._run(
            lambda client: client.scan(
                cursor=cursor, match=pattern, count=count, _type="string", target_nodes=node
            )
        )

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        # keys(limit=N) asks for pages of N: the first SCAN is sized to answer it alone.
        layout = self.layout
        found = self._patterns.get(collection)
        if found is None:
            if len(self._patterns) >= _PATTERNS_KEPT:
                self._patterns.clear()
            prefix = layout.collection_prefix(collection).encode("utf-8", "surrogatepass")
            found = self._patterns[collection] = (
                layout.collection_pattern(collection),
                len(prefix),
            )
        pattern, prefix_bytes = found
        size = ScanSize(page_size)
        seen: set[bytes | str] = set()
        # Closed here when the caller stops early, not later by the loop's finalizer.
        walk = self._scan(pattern, size)
        async with contextlib.aclosing(walk):
            async for batch in walk:
                # A name may come again if the keyspace was resized meanwhile.
                fresh = [raw for raw in dict.fromkeys(batch) if raw not in seen]
                seen.update(fresh)
                page = layout.keys_in_collection(fresh, prefix_bytes)
                size.record(len(page))
                if page:
                    yield page

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        layout = self.layout
        size = ScanSize(page_size)
        seen: set[str] = set()
        walk = self._scan(layout.owned_pattern, size)
        async with contextlib.aclosing(walk):
            async for batch in walk:
                page: list[str] = []
                for raw in batch:
                    names = layout.split(raw)
                    if names is not None and names[0] not in seen:
                        seen.add(names[0])
                        page.append(names[0])
                size.record(len(page))
                if page:
                    yield page

    async def _unlink_matching(self, pattern: str, *, owned_only: bool) -> int:
        removed = 0
        split = self.layout.split
        size = ScanSize(1000)
        async for batch in self._scan(pattern, size):
            names = [raw for raw in batch if split(raw) is not None] if owned_only else batch
            size.record(len(names))
            if names:
                removed += await self._unlink(names)
        return removed

    async def _unlink(self, names: Sequence[Any]) -> int:
        return int(await self._run(lambda client: client.unlink(*names)))

    async def _destroy(self) -> bool:
        return await self._unlink_matching(self.layout.owned_pattern, owned_only=True) > 0

    async def _destroy_collection(self, collection: str) -> bool:
        pattern = self.layout.collection_pattern(collection)
        return await self._unlink_matching(pattern, owned_only=False) > 0


def _pairs(mapping: dict[str, str]) -> list[str]:
    """``MSET``'s arguments: name, document, name, document, ..."""
    return [item for pair in mapping.items() for item in pair]


def _seconds(now: float | None) -> str:
    """``now`` (seconds since the epoch, the write's time) as a script argument."""
    return repr(time.time() if now is None else now)


async def _gated(here: _LoopClient, call: Callable[[Any], Awaitable[T]]) -> T:
    opened = await here.acquire()
    try:
        return await call(here.client)
    finally:
        here.release(opened)


async def _disconnect(here: _LoopClient) -> None:
    """Close a loop's client, in its loop, unless the user passed it in."""
    if here.owned:
        await here.client.aclose()
