"""``memcached://``: a kv store on one or more Memcached servers.

Each entry is one memcached item. Its key is the compound key
``collection::key`` in UTF-8 (hashed when memcached cannot hold it, see
:mod:`kv_memcached.keys`); its value is the entry's JSON document (value,
original names, ``created_at``, ``expires_at``), the format py-key-value's
MemcachedStore writes and reads. Expiry is native (``exptime``), rounded up
to whole seconds; the exact expiry in the document is checked on every read.

Atomic operations (:mod:`kv.atomic`) are memcached's own conditional
commands, one per step: ``put_if_absent`` is ``add``, ``get_versioned`` is
``gets``, ``put_if_version`` is ``cas`` and ``delete_if_version`` is the meta
command ``md <key> C<cas>`` (memcached 1.6 and later). A version is the item's
CAS unique, which memcached changes on every write of the item, followed by
the entry's expiry (``"<cas>/<expires_at>"``, ``"<cas>/-"`` without one).
Memcached drops an expired item up to two seconds after the entry's exact
expiry; in between, the entry counts as absent: ``put_if_absent`` replaces it
with ``cas`` on the CAS unique it read, and a version whose expiry has passed
matches nothing.

With several servers, every key lives on one of them, chosen by rendezvous
hashing of the memcached key (:mod:`kv_memcached.ring`). Bulk calls send one
pipelined request per server, to all servers at once.

The store speaks memcached's text protocol itself, with its own connection
pool (:mod:`kv_memcached.protocol`), under asyncio and trio.
Connections belong to the event loop that opened them, so the store keeps
one set of connection pools per running loop (:class:`kv.loops.PerLoop`): one
store object serves successive ``asyncio.run()`` calls, and a loop's
connections are closed when that loop shuts down.

URL forms::

    memcached://127.0.0.1:11211
    memcached://cache1:11211,cache2:11211,cache3      (port 11211 by default)
    memcached://127.0.0.1:11211?max_item_size=2097152&timeout=2&max_connections=8
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Iterable, Sequence
from typing import TypeVar

import anyio

from kv.entry import StoredEntry, decode_document, encode_document
from kv.errors import ConflictError, DeserializationError, EntryTooLargeError, StoreError
from kv.loops import PerLoop
from kv.store import BaseStore, TokenVersionMixin
from kv_memcached.keys import exptime, memcached_key
from kv_memcached.plugin import (
    DEFAULT_PORT,
    PLUGIN,
    MemcachedOptions,
)
from kv_memcached.protocol import MemcachedServer
from kv_memcached.ring import Ring

__all__ = ["DEFAULT_PORT", "MemcachedOptions", "MemcachedStore"]

T = TypeVar("T")

_ITEM_HEADER = 64
"""Bytes memcached needs per item besides key and value (measured: 59 on 1.6)."""

_CLAIM_ATTEMPTS = 1000
"""Rounds ``put_if_absent`` makes while other writers keep replacing an expired
item under it (each round is a write by someone else)."""

_MAX_CAS = 2**64 - 1


class MemcachedStore(TokenVersionMixin, BaseStore, plugin=PLUGIN):
    """A kv store on one or more Memcached servers.

    Nothing is connected until the first call. Keys are spread over the
    servers by rendezvous hashing; a server that is down makes the calls for
    its keys fail with :class:`~kv.errors.StoreConnectionError` until it is
    back (nothing is rerouted, so no stale copy is ever read).

    Options (keywords, or a :class:`~kv_memcached.plugin.MemcachedOptions`):
    ``servers`` (the first positional argument: ``"host:port"`` strings or
    ``(host, port)`` pairs), ``max_item_size``, ``max_connections``,
    ``timeout`` and ``default_collection``.

    Raises:
        InvalidOptionError: no server, a bad server, or a bad option value.
    """

    options: MemcachedOptions

    def __init__(
        self,
        options: MemcachedOptions | Sequence[str | tuple[str, int]] | str | None = None,
        /,
        **keywords: object,
    ) -> None:
        super().__init__(options, **keywords)
        self._rings: PerLoop[Ring[MemcachedServer]] = PerLoop(
            self._connect, close=_close_ring, close_with_loop=True
        )

    def __repr__(self) -> str:
        servers = ",".join(f"{host}:{port}" for host, port in self.options.addresses)
        return f"<MemcachedStore memcached://{servers}>"

    # --- lifecycle -------------------------------------------------------------------

    async def _connect(self) -> Ring[MemcachedServer]:
        """The running loop's servers (connection pools connect on first use)."""
        servers = [
            MemcachedServer(
                host,
                port,
                max_connections=self.options.max_connections,
                timeout=self.options.timeout,
            )
            for host, port in self.options.addresses
        ]
        return Ring(servers, [server.name for server in servers])

    async def _open(self) -> None:
        await self._rings.get()

    async def _close(self) -> None:
        await self._rings.close()

    async def _servers(self) -> Ring[MemcachedServer]:
        """The running loop's servers, made on first use in this loop."""
        ring = self._rings.current
        if ring is None:
            ring = await self._rings.get()
        return ring

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        mkey = memcached_key(collection, key)
        ring = self._rings.current or await self._rings.get()
        found = await ring.pick(mkey).get_many((mkey,))
        raw = found.get(mkey)
        return None if raw is None else decode_document(raw)

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        mkeys = {key: memcached_key(collection, key) for key in keys}
        ring = await self._servers()
        groups = ring.split(list(dict.fromkeys(mkeys.values())))
        found: dict[bytes, bytes] = {}
        for part in await _all(server.get_many(group) for server, group in groups.items()):
            found.update(part)
        entries: list[StoredEntry | None] = []
        for key in keys:
            raw = found.get(mkeys[key])
            if raw is None:
                entries.append(None)
                continue
            try:
                entries.append(decode_document(raw))
            except DeserializationError as error:
                error.add_context(key=key)
                raise
        return entries

    def _item(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> tuple[bytes, bytes, int]:
        mkey = memcached_key(collection, key)
        document = encode_document(entry, collection=collection, key=key).encode("ascii")
        room = self.options.max_item_size - _ITEM_HEADER - len(mkey)
        if len(document) > room:
            raise EntryTooLargeError(
                f"The entry's document is {len(document)} bytes; a memcached item of this key"
                f" holds at most {room} (max_item_size={self.options.max_item_size})",
                size=len(document),
                limit=room,
                key=key,
            )
        return mkey, document, exptime(ttl, entry.expires_at)

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        item = self._item(collection, key, entry, ttl)
        ring = self._rings.current or await self._rings.get()
        replies = await ring.pick(item[0]).set_many((item,))
        self._check_stored(replies, [key])

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        ring = await self._servers()
        groups: dict[MemcachedServer, tuple[list[tuple[bytes, bytes, int]], list[str]]] = {}
        for key, entry in zip(keys, entries):
            item = self._item(collection, key, entry, ttl)
            items, names = groups.setdefault(ring.pick(item[0]), ([], []))
            items.append(item)
            names.append(key)
        results = await _all(server.set_many(items) for server, (items, _) in groups.items())
        for (_, names), replies in zip(groups.values(), results):
            self._check_stored(replies, names)

    def _check_stored(self, replies: Sequence[bytes], keys: Sequence[str]) -> None:
        for key, reply in zip(keys, replies):
            if reply == b"STORED":
                continue
            message = reply.decode("ascii", "replace")
            if "too large" in message:
                raise EntryTooLargeError(
                    f"Memcached refused the entry as too large ({message}); its item size"
                    f" limit is below max_item_size={self.options.max_item_size}",
                    size=0,
                    limit=self.options.max_item_size,
                    key=key,
                )
            raise StoreError(f"Memcached did not store the entry: {message}", key=key)

    async def _delete_entry(self, collection: str, key: str) -> bool:
        mkey = memcached_key(collection, key)
        found, deleted = await (await self._servers()).pick(mkey).take_many((mkey,))
        return deleted[0] and _live(found.get(mkey), time.time())

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        unique = list(dict.fromkeys(memcached_key(collection, key) for key in keys))
        groups = (await self._servers()).split(unique)
        now = time.time()
        count = 0
        for group, (found, deleted) in zip(
            groups.values(), await _all(server.take_many(group) for server, group in groups.items())
        ):
            for mkey, was_deleted in zip(group, deleted):
                if was_deleted and _live(found.get(mkey), now):
                    count += 1
        return count

    # --- atomic operations -------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        item = self._item(collection, key, entry, ttl)
        server = (await self._servers()).pick(item[0])
        for _ in range(_CLAIM_ATTEMPTS):
            reply = await server.add(*item)
            if reply == b"STORED":
                return True
            if reply != b"NOT_STORED":
                self._check_stored([reply], [key])
            # Memcached still holds an item: it may be an entry that has expired but
            # that memcached has not dropped yet (its clock ticks in whole seconds).
            found = await server.gets(item[0])
            if found is None:
                continue  # dropped or deleted since: add again
            raw, unique = found
            if not _expired(raw, _written_at(entry)):
                return False
            reply = await server.cas(*item, unique)  # replaces that expired item only
            if reply == b"STORED":
                return True
            if reply not in (b"EXISTS", b"NOT_FOUND"):
                self._check_stored([reply], [key])
        raise ConflictError(
            f"put_if_absent gave up after {_CLAIM_ATTEMPTS} attempts: other writers kept"
            " replacing the expired entry"
        )

    async def _get_entry_and_token(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        mkey = memcached_key(collection, key)
        found = await (await self._servers()).pick(mkey).gets(mkey)
        if found is None:
            return None
        raw, unique = found
        return decode_document(raw), str(unique)

    async def _put_entry_if_token(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, token: str
    ) -> bool:
        unique = _cas_unique(token)
        if unique is None:
            return False
        item = self._item(collection, key, entry, ttl)
        reply = await (await self._servers()).pick(item[0]).cas(*item, unique)
        if reply == b"STORED":
            return True
        if reply not in (b"EXISTS", b"NOT_FOUND"):
            self._check_stored([reply], [key])
        return False

    async def _delete_entry_if_token(self, collection: str, key: str, token: str) -> bool:
        unique = _cas_unique(token)
        if unique is None:
            return False
        mkey = memcached_key(collection, key)
        return await (await self._servers()).pick(mkey).delete_if_cas(mkey, unique)


def _written_at(entry: StoredEntry) -> float:
    """The instant a conditional write checks expiry at (the base sets it to "now")."""
    return time.time() if entry.created_at is None else entry.created_at


def _cas_unique(token: str) -> int | None:
    """The CAS unique a token names; ``None`` for a string that is not one."""
    if not token.isascii() or not token.isdigit():
        return None
    unique = int(token)
    return unique if 0 < unique <= _MAX_CAS else None


def _expired(raw: bytes, now: float) -> bool:
    """Whether an item holds an entry expired at ``now`` (an unreadable one is live)."""
    try:
        return decode_document(raw).is_expired(now)
    except DeserializationError:
        return False


async def _close_ring(ring: Ring[MemcachedServer]) -> None:
    """Close a loop's connections, in that loop."""
    for server in ring.members:
        await server.close()


_EXPIRY_FIELD = b'"expires_at"'
"""The expiry's field name as kv and py-key-value write it in a document."""


def _live(raw: bytes | None, now: float) -> bool:
    """Whether a deleted item held an unexpired entry (unreadable ones count as live)."""
    if raw is None:
        return True  # written between the read and the delete
    if _EXPIRY_FIELD not in raw:
        return True  # no expiry anywhere in it: an entry without a TTL, not parsed
    try:
        return not decode_document(raw).is_expired(now)
    except DeserializationError:
        return True


async def _all(calls: Iterable[Awaitable[T]]) -> list[T]:
    """Await ``calls`` together; every one finishes before the first error is raised."""
    pending = list(calls)
    if len(pending) == 1:
        return [await pending[0]]
    results: dict[int, T] = {}
    errors: dict[int, Exception] = {}

    async def run(index: int, call: Awaitable[T]) -> None:
        try:
            results[index] = await call
        except Exception as error:  # kept, so the other calls are not cancelled
            errors[index] = error

    async with anyio.create_task_group() as group:
        for index, call in enumerate(pending):
            group.start_soon(run, index, call)
    if errors:
        raise errors[min(errors)]
    return [results[index] for index in range(len(pending))]
