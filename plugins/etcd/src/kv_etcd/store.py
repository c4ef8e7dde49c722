"""``etcd://HOST:PORT[,HOST2:PORT2]/PREFIX``: a kv store in etcd v3.

Every entry is one etcd key under the store's prefix (layout:
:mod:`kv_etcd.layout`), its value kv's JSON entry document. Expiry is
native: an entry with a TTL is attached to an etcd lease (one per expiry
second, :mod:`kv_etcd.leases`), and reads hide it from its exact expiry on.

Calls and their etcd requests:

* ``get``/``put``/``delete``: Range, Put (with the lease of its expiry
  second), DeleteRange with ``prev_kv`` (whether a live entry existed);
* ``get_many``/``put_many``/``delete_many``: transactions of at most
  ``max_txn_ops`` operations (etcd's ``--max-txn-ops``) and 1 MiB of values,
  sent concurrently; each transaction reads or writes its keys at one
  revision;
* ``keys()``: paged, keys-only Range reads of the collection's range;
  ``collections()``: keys-only Range reads that jump from one collection to
  the next; ``destroy``/``destroy_collection``: one DeleteRange;
  ``cull()``: Range reads of the values, then transactions that delete each
  expired key only if it is unchanged (its ``mod_revision``);
* the atomic operations: transactions comparing the key's ``create_revision``
  (absent) or ``mod_revision`` (a version is the revision and the expiry,
  :class:`kv.store.TokenVersionMixin`) with the write inside.

Each event loop that uses the store gets its own aetcd clients
(:class:`kv_etcd.client.Endpoints`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from kv.concurrent import run_all
from kv.entry import StoredEntry
from kv.errors import InvalidOptionError, KeyValueError
from kv.loops import PerLoop
from kv.store import FullStore, TokenVersionMixin
from kv_etcd.client import Endpoints, addresses, credentials, open_endpoints
from kv_etcd.errors import is_lease_gone, is_token_expired, is_unreachable, translate_error
from kv_etcd.layout import Layout, entry_of, expiry_of, range_end, value_of
from kv_etcd.leases import Leases
from kv_etcd.plugin import PLUGIN, EtcdOptions

__all__ = ["MAX_TXN_BYTES", "EtcdOptions", "EtcdStore"]

T = TypeVar("T")

MAX_TXN_BYTES = 1_000_000
"""Bytes of keys and values one bulk transaction carries at most (etcd refuses a
request over 1.5 MiB)."""

_ABSENT_ATTEMPTS = 16
"""Rounds of put_if_absent when the key keeps changing between its two steps."""


def _is_live(value: bytes, now: float) -> bool:
    expires_at = expiry_of(value)
    return expires_at is None or expires_at > now


def _runs(
    items: Sequence[T], count: int, weigh: Callable[[T], int] | None = None
) -> list[Sequence[T]]:
    """``items`` in runs of at most ``count``; with ``weigh``, a run heavier than
    MAX_TXN_BYTES is halved until it fits (or holds one item). Order is not kept."""
    pending = [items[start : start + count] for start in range(0, len(items), count)]
    runs: list[Sequence[T]] = []
    while pending:
        run = pending.pop()
        if weigh is not None and len(run) > 1 and sum(map(weigh, run)) > MAX_TXN_BYTES:
            middle = len(run) // 2
            pending += [run[:middle], run[middle:]]
        else:
            runs.append(run)
    return runs


class EtcdStore(TokenVersionMixin, FullStore, plugin=PLUGIN):
    """A kv store in etcd v3, every entry a key under ``PREFIX/``.

    Nothing is connected until the first call. Options (keywords, or an
    :class:`~kv_etcd.plugin.EtcdOptions`, where each is documented): the URL
    (also the first positional argument), ``hosts``, ``port``, ``prefix``,
    ``user``, ``password``, ``max_txn_ops``, ``connect_timeout``,
    ``command_timeout``, ``default_collection`` and the sweep options.

    Raises:
        InvalidOptionError: a bad prefix or option value.
    """

    options: EtcdOptions

    def __init__(self, options: EtcdOptions | str | None = None, /, **keywords: object) -> None:
        super().__init__(options, **keywords)
        self.prefix = self.options.prefix
        self._layout = Layout(self.prefix)
        self._ops = self.options.max_txn_ops
        members = addresses(self.options)
        host, port = members[0]
        more = f" (and {len(members) - 1} more)" if len(members) > 1 else ""
        self._where = f"etcd at {host}:{port}{more}"
        user, password = credentials(self.options)
        if password is not None and user is None:
            raise InvalidOptionError(
                "password needs a user (the URL's user, the user option or ETCDCTL_USER)",
                store=self.store_name,
            )
        self._leases = Leases()
        self._endpoints = PerLoop(
            partial(open_endpoints, self.options), close=Endpoints.close, close_with_loop=True
        )

    def __repr__(self) -> str:  # never the password
        return (
            f"<EtcdStore {self._where} prefix={self.prefix!r}"
            f" default_collection={self.default_collection!r}>"
        )

    # --- connections -----------------------------------------------------------------

    async def _close(self) -> None:
        await self._endpoints.close()

    async def _call(self, call: Callable[[Any], Awaitable[T]], *, again: bool = True) -> T:
        """``call(client)`` on the current member.

        On a member that cannot be reached, the next member becomes current
        and (``again``) gets the call, up to once each. A conditional write is
        not sent again (``again=False``): a connection that broke after etcd
        applied it would make it report a conflict with itself. A call whose
        authentication token etcd no longer takes (it expires after
        ``--auth-token-ttl``) was refused before anything happened: it is sent
        again, once, on a client that authenticates anew."""
        endpoints = await self._endpoints.get()
        moves = len(endpoints.clients) - 1 if again else 0
        renewed = False
        while True:
            client = endpoints.current
            try:
                return await call(client)
            except Exception as error:
                if is_token_expired(error) and not renewed:
                    renewed = True
                    await endpoints.renew(client)
                    continue
                if not is_unreachable(error) or len(endpoints.clients) == 1:
                    raise
                endpoints.move_on(client)
                if moves == 0:
                    raise
                moves -= 1

    async def _range(
        self, start: bytes, end: bytes, *, limit: int, keys_only: bool
    ) -> tuple[Sequence[Any], bool]:
        endpoints = await self._endpoints.get()
        return await self._call(
            lambda client: endpoints.range(client, start, end, limit=limit, keys_only=keys_only)
        )

    async def _leased(
        self,
        expires_at: float | None,
        write: Callable[[Any, int | None], Awaitable[T]],
        *,
        again: bool = True,
    ) -> T:
        """``write(client, lease)`` with the lease of ``expires_at``'s second (``None``:
        no lease); once more with a new lease if etcd no longer has the cached one
        (``again``: see :meth:`_call`)."""

        async def grant(client: Any, ttl: int) -> int:
            lease = await client.lease(ttl)
            return int(lease.id)

        async def attempt(client: Any) -> T:
            lease = None
            if expires_at is not None:
                lease = await self._leases.lease_for(expires_at, lambda ttl: grant(client, ttl))
            return await write(client, lease)

        if expires_at is None:
            return await self._call(attempt, again=again)
        try:
            return await self._call(attempt, again=again)
        except Exception as error:
            if not is_lease_gone(error):
                raise
            self._leases.forget(expires_at)  # refused before anything was written
            return await self._call(attempt, again=again)

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        etcd_key = self._layout.key(collection, key)
        found = await self._call(lambda client: client.get(etcd_key))
        return None if found is None else entry_of(found.value, key)

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        stored = {key: self._layout.key(collection, key) for key in keys}
        unique = list(dict.fromkeys(stored.values()))

        async def read(chunk: Sequence[bytes]) -> list[tuple[bytes, bytes]]:
            def txn(client: Any) -> Awaitable[tuple[bool, list[Any]]]:
                gets = [client.transactions.get(etcd_key) for etcd_key in chunk]
                return client.transaction(compare=[], success=gets, failure=[])  # type: ignore[no-any-return]

            _, responses = await self._call(txn)
            return [(meta.key, value) for found in responses for value, meta in found]

        found: dict[bytes, bytes] = {}
        for pairs in await run_all([partial(read, run) for run in _runs(unique, self._ops)]):
            found.update(pairs)
        entries: list[StoredEntry | None] = []
        for key in keys:
            value = found.get(stored[key])
            entries.append(None if value is None else entry_of(value, key))
        return entries

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        etcd_key = self._layout.key(collection, key)
        value = value_of(entry, collection, key)
        await self._leased(
            entry.expires_at, lambda client, lease: client.put(etcd_key, value, lease=lease)
        )

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        # One lease per expiry: entries are grouped by it (put_many gives all one).
        groups: dict[float | None, list[tuple[float | None, bytes, bytes]]] = {}
        for key, entry in zip(keys, entries):
            etcd_key = self._layout.key(collection, key)
            item = (entry.expires_at, etcd_key, value_of(entry, collection, key))
            groups.setdefault(entry.expires_at, []).append(item)

        async def write(chunk: Sequence[tuple[float | None, bytes, bytes]]) -> None:
            async def txn(client: Any, lease: int | None) -> object:
                puts = [client.transactions.put(k, v, lease=lease) for _, k, v in chunk]
                return await client.transaction(compare=[], success=puts, failure=[])

            await self._leased(chunk[0][0], txn)

        runs = [run for items in groups.values() for run in _runs(items, self._ops, _weight)]
        await run_all([partial(write, run) for run in runs])

    async def _delete_entry(self, collection: str, key: str) -> bool:
        etcd_key = self._layout.key(collection, key)
        deleted = await self._call(lambda client: client.delete(etcd_key, prev_kv=True))
        return deleted is not None and _is_live(deleted.prev_kv.value, time.time())

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        unique = list(dict.fromkeys(self._layout.key(collection, key) for key in keys))

        async def delete(chunk: Sequence[bytes]) -> int:
            def txn(client: Any) -> Awaitable[tuple[bool, list[Any]]]:
                ops = [client.transactions.delete(k, prev_kv=True) for k in chunk]
                return client.transaction(compare=[], success=ops, failure=[])  # type: ignore[no-any-return]

            _, responses = await self._call(txn)
            now = time.time()
            return sum(
                _is_live(previous.value, now)
                for response in responses
                for previous in response.response_delete_range.prev_kvs
            )

        return sum(await run_all([partial(delete, run) for run in _runs(unique, self._ops)]))

    # --- atomic operations ------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        """A transaction that writes if the key does not exist (its create_revision is
        0), else reads it; an expired entry read so is replaced by a second
        transaction on its exact mod_revision."""
        assert entry.created_at is not None  # the base sets it ("now")
        etcd_key = self._layout.key(collection, key)
        value = value_of(entry, collection, key)
        for _ in range(_ABSENT_ATTEMPTS):

            async def create(client: Any, lease: int | None) -> tuple[bool, list[Any]]:
                tx = client.transactions
                return await client.transaction(  # type: ignore[no-any-return]
                    compare=[tx.create(etcd_key) == 0],
                    success=[tx.put(etcd_key, value, lease=lease)],
                    failure=[tx.get(etcd_key)],
                )

            created, responses = await self._leased(entry.expires_at, create, again=False)
            if created:
                return True
            if not responses or not responses[0]:
                continue  # deleted in between: try again
            current, meta = responses[0][0]
            if _is_live(current, entry.created_at):
                return False
            if await self._swap(etcd_key, int(meta.mod_revision), value, entry.expires_at):
                return True
        return False

    async def _swap(
        self, etcd_key: bytes, revision: int, value: bytes | None, expires_at: float | None
    ) -> bool:
        """Put ``value`` (``None``: delete) if the key's mod_revision is ``revision``."""

        async def txn(client: Any, lease: int | None) -> bool:
            tx = client.transactions
            change = tx.delete(etcd_key) if value is None else tx.put(etcd_key, value, lease=lease)
            succeeded, _ = await client.transaction(
                compare=[tx.mod(etcd_key) == revision], success=[change], failure=[]
            )
            return bool(succeeded)

        return await self._leased(expires_at, txn, again=False)

    async def _get_entry_and_token(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        etcd_key = self._layout.key(collection, key)
        found = await self._call(lambda client: client.get(etcd_key))
        return None if found is None else (entry_of(found.value, key), str(found.mod_revision))

    async def _put_entry_if_token(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, token: str
    ) -> bool:
        if not token.isdigit():
            return False  # not a revision: a version of another store
        value = value_of(entry, collection, key)
        etcd_key = self._layout.key(collection, key)
        return await self._swap(etcd_key, int(token), value, entry.expires_at)

    async def _delete_entry_if_token(self, collection: str, key: str, token: str) -> bool:
        if not token.isdigit():
            return False
        return await self._swap(self._layout.key(collection, key), int(token), None, None)

    # --- optional capabilities ----------------------------------------------------------

    # The walks themselves, not generators around them: the base closes them when
    # the caller stops early.
    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        prefix = self._layout.collection(collection)
        start, end = prefix, range_end(prefix)
        while True:
            found, more = await self._range(start, end, limit=page_size, keys_only=True)
            page = [name for pair in found if (name := _name(pair.key[len(prefix) :]))]
            if page:
                yield page
            if not more or not found:
                return
            start = found[-1].key + b"\x00"

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        root = self._layout.root
        start, end = root, range_end(root)
        while True:
            found, more = await self._range(start, end, limit=page_size, keys_only=True)
            page: list[str] = []
            last: bytes | None = None
            for pair in found:
                named = self._layout.name_of_collection(pair.key)
                if named is not None and named[1] != last:
                    page.append(named[0])
                    last = named[1]
            if page:
                yield page
            if not more or not found:
                return
            # Jump past the last collection seen: its other keys are not read.
            start = found[-1].key + b"\x00" if last is None else range_end(last)

    async def _destroy(self) -> bool:
        return await self._delete_prefix(self._layout.root)

    async def _destroy_collection(self, collection: str) -> bool:
        return await self._delete_prefix(self._layout.collection(collection))

    async def _delete_prefix(self, prefix: bytes) -> bool:
        deleted = await self._call(lambda client: client.delete_prefix(prefix))
        return int(deleted.deleted) > 0

    async def _cull(self, now: float, limit: int | None) -> int:
        root = self._layout.root
        start, end = root, range_end(root)
        removed = 0
        while limit is None or removed < limit:
            found, more = await self._range(start, end, limit=500, keys_only=False)
            expired = [
                (pair.key, int(pair.mod_revision))
                for pair in found
                if not _is_live(pair.value, now)
            ]
            if limit is not None:
                expired = expired[: limit - removed]
            removed += sum(
                await run_all(
                    [partial(self._delete_unchanged, run) for run in _runs(expired, self._ops)]
                )
            )
            if not more or not found:
                break
            start = found[-1].key + b"\x00"
        return removed

    async def _delete_unchanged(self, pairs: Sequence[tuple[bytes, int]]) -> int:
        """Delete each key whose mod_revision is still the one given (nested
        transactions in one); how many were deleted."""

        async def txn(client: Any) -> int:
            tx = client.transactions
            ops = [
                tx.txn(compare=[tx.mod(key) == revision], success=[tx.delete(key)], failure=[])
                for key, revision in pairs
            ]
            _, responses = await client.transaction(compare=[], success=ops, failure=[])
            return sum(bool(response.response_txn.succeeded) for response in responses)

        return await self._call(txn)

    # --- errors ------------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """aetcd's and grpc's errors as kv errors (never the password)."""
        return translate_error(error, where=self._where)


def _weight(item: tuple[float | None, bytes, bytes]) -> int:
    return len(item[1]) + len(item[2])


def _name(raw: bytes) -> str | None:
    """A key's name, or ``None`` if it is not UTF-8 (not a kv key: written by
    something else)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
