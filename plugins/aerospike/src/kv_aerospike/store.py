"""``aerospike://HOST:PORT/NAMESPACE/SET``: a kv store in one Aerospike set.

Every entry is one record (layout: :mod:`kv_aerospike.records`, py-key-value's
AerospikeStore layout plus three bins of kv's); what is sent is built by
:mod:`kv_aerospike.policies`, and the client's errors are mapped by
:mod:`kv_aerospike.errors`. This module only makes the calls.

The aerospike client blocks: every call runs in a worker thread
(:mod:`kv.blocking`), at most ``threads`` at once. One client serves the store
from any event loop; it connects on first use, and reconnects by itself
when the cluster is back after an outage.

Calls and their Aerospike commands:

* ``get``/``put``/``delete``: ``get``, ``put`` (the record TTL is the entry's
  expiry), ``remove`` filtered on the ``expires`` bin (an expired entry the
  server still holds is not counted);
* ``get_many``: ``batch_read``; ``put_many``: ``batch_write`` of ``Write``
  records; ``delete_many``: ``batch_remove``, filtered like ``remove``;
  1,000 keys a call;
* ``keys()``, ``collections()``, ``destroy()``, ``destroy_collection()`` and
  ``cull()``: a paginated query of the set whose filter expression (the
  collection bin, the expiry) runs on the server, then ``batch_remove`` of a
  page's records;
* the atomic operations: ``put`` with ``POLICY_EXISTS_CREATE``, and ``put`` /
  ``remove`` with ``POLICY_GEN_EQ`` on the record's generation and a filter on
  its write time.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from typing import Any, TypeVar

import aerospike
from aerospike import exception
from aerospike_helpers.batch import records as batch  # type: ignore[import-untyped]
from aerospike_helpers.operations import operations  # type: ignore[import-untyped]

from kv.blocking import BlockingCalls, Engine
from kv.entry import StoredEntry
from kv.errors import DeserializationError, KeyValueError, StoreSetupError
from kv.store import FullStore, TokenVersionMixin
from kv_aerospike.errors import FILTERED_OUT, OK, RECORD_NOT_FOUND, batch_results, translate_error
from kv_aerospike.plugin import PLUGIN, AerospikeOptions
from kv_aerospike.policies import (
    client_config,
    collection_filter,
    create_policy,
    expired_filter,
    live_filter,
    remove_policy,
    version_policy,
    write_policy,
)
from kv_aerospike.records import (
    COLLECTION_BIN,
    CREATED_BIN,
    VALUE_BIN,
    AerospikeKey,
    Found,
    Version,
    entry_of_bins,
    found_of_record,
    named_by_documents,
    parse_token,
    record_bins,
    record_key,
    setup_problem,
    token_of,
)

__all__ = ["BATCH_LIMIT", "AerospikeOptions", "AerospikeStore"]

BATCH_LIMIT = 1_000
"""Keys one batch command carries."""

T = TypeVar("T")

_LOST_RACE = (exception.RecordGenerationError, exception.FilteredOut, exception.RecordNotFound)
"""What a conditional write meets when the record is not the one it expects."""

_CLAIM_ATTEMPTS = 3
"""Tries of ``put_if_absent`` when the record it found vanishes before it is replaced."""


def _chunks(items: Sequence[T], size: int = BATCH_LIMIT) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _name_unnamed(client: aerospike.Client, found: list[Found]) -> list[Found]:
    """Name the records of ``found`` that carry no key (py-key-value's), by their document."""
    unnamed = [item.key for item in found if item.names is None]
    if not unnamed:
        return found
    results = batch_results(client.batch_read(unnamed, [VALUE_BIN]), (OK, RECORD_NOT_FOUND))
    documents = [
        record[2].get(VALUE_BIN) if result == OK and record is not None else None
        for result, record in results
    ]
    return named_by_documents(found, documents)


def _belongs(item: Found, collection: str) -> bool:
    return item.names is not None and item.names[0] == collection


class AerospikeStore(TokenVersionMixin, FullStore, plugin=PLUGIN):
    """A kv store in one Aerospike set.

    Nothing is connected until the first call (or :meth:`setup`): the client
    connects then, and the namespace (and, without ``auto_create``, the set)
    is checked.

    Options (keywords, or an :class:`~kv_aerospike.plugin.AerospikeOptions`,
    where each is documented): the URL (first positional argument), ``hosts``,
    ``port``, ``user``, ``password``, ``namespace``, ``set_name``,
    ``auto_create``, ``threads``, ``tls_name``, ``tls_cafile``, the timeouts,
    ``default_collection`` and the sweep options.

    Raises:
        InvalidOptionError: a bad namespace, set name or option value.
    """

    options: AerospikeOptions

    def __init__(
        self, options: AerospikeOptions | str | None = None, /, **keywords: object
    ) -> None:
        super().__init__(options, **keywords)
        self.namespace = self.options.namespace
        self.set_name = self.options.set_name
        calls = BlockingCalls(max_threads=self.options.threads, inline_budget=None)
        self._engine = Engine[aerospike.Client](calls, closed="The Aerospike client is closed")
        self._null = aerospike.null()

    def __repr__(self) -> str:  # never the user's password
        hosts = ",".join(self.options.hosts) or "localhost"
        return (
            f"<AerospikeStore hosts={hosts!r} namespace={self.namespace!r}"
            f" set={self.set_name!r} default_collection={self.default_collection!r}>"
        )

    # --- lifecycle -------------------------------------------------------------------

    async def _open(self) -> None:
        self._engine.handle = await self._engine.finish(self._connect)

    def _connect(self) -> aerospike.Client:
        """A connected client, once the namespace (and set) are found (in a thread)."""
        client = aerospike.client(client_config(self.options))
        try:
            namespaces = client.info_random_node("namespaces")
            sets = None
            if not self.options.auto_create:
                sets = client.info_random_node(f"sets/{self.namespace}/{self.set_name}")
        except BaseException:
            client.close()
            raise
        problem = setup_problem(self.namespace, self.set_name, namespaces, sets)
        if problem is not None:
            client.close()
            raise StoreSetupError(problem)
        return client

    async def _close(self) -> None:
        client = self._engine.close()
        if client is not None:
            await self._engine.finish(client.close)

    async def _run(self, call: Callable[[aerospike.Client], T]) -> T:
        return await self._engine.run(call)

    def _key(self, collection: str, key: str) -> AerospikeKey:
        return record_key(self.namespace, self.set_name, collection, key)

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        record_key_ = self._key(collection, key)

        def get(client: aerospike.Client) -> StoredEntry | None:
            try:
                _, _, bins = client.get(record_key_)
            except exception.RecordNotFound:
                return None
            return entry_of_bins(bins, key)

        return await self._run(get)

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        unique = list(dict.fromkeys(keys))

        def read(client: aerospike.Client) -> dict[str, StoredEntry]:
            found: dict[str, StoredEntry] = {}
            for chunk in _chunks(unique):
                answer = client.batch_read(
                    [self._key(collection, key) for key in chunk], [VALUE_BIN]
                )
                for key, (result, record) in zip(
                    chunk, batch_results(answer, (OK, RECORD_NOT_FOUND))
                ):
                    if result == OK and record is not None:
                        found[key] = entry_of_bins(record[2], key)
            return found

        entries = await self._run(read)
        return [entries.get(key) for key in keys]

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        record_key_ = self._key(collection, key)
        bins = record_bins(collection, key, entry, self._null)
        policy = write_policy(ttl)
        await self._run(lambda client: client.put(record_key_, bins, policy=policy))

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        policy = write_policy(ttl)
        writes = [
            batch.Write(
                self._key(collection, key),
                [
                    operations.write(name, value)
                    for name, value in record_bins(collection, key, entry, self._null).items()
                ],
                policy=policy,
            )
            for key, entry in zip(keys, entries)
        ]

        def write(client: aerospike.Client) -> None:
            for chunk in _chunks(writes):
                batch_results(client.batch_write(batch.BatchRecords(list(chunk))), (OK,))

        await self._run(write)

    async def _delete_entry(self, collection: str, key: str) -> bool:
        record_key_ = self._key(collection, key)

        def remove(client: aerospike.Client) -> bool:
            try:
                client.remove(record_key_, policy={"expressions": live_filter(time.time())})
            except (exception.RecordNotFound, exception.FilteredOut):
                return False  # absent, or expired (the server drops it within seconds)
            return True

        return await self._run(remove)

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        record_keys = [self._key(collection, key) for key in dict.fromkeys(keys)]
        return await self._run(lambda client: self._remove(client, record_keys, live=True))

    def _remove(self, client: aerospike.Client, keys: Sequence[AerospikeKey], live: bool) -> int:
        """Remove records (only live entries' when ``live``); how many it removed."""
        policy = {"expressions": live_filter(time.time())} if live else {}
        removed = 0
        for chunk in _chunks(keys):
            answer = client.batch_remove(list(chunk), policy_batch_remove=policy)
            allowed = (OK, RECORD_NOT_FOUND, FILTERED_OUT)
            removed += sum(result == OK for result, _ in batch_results(answer, allowed))
        return removed

    # --- atomic operations ------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        assert entry.created_at is not None  # the base sets it ("now")
        now = entry.created_at
        record_key_ = self._key(collection, key)
        bins = record_bins(collection, key, entry, self._null)

        def claim(client: aerospike.Client) -> bool:
            for _ in range(_CLAIM_ATTEMPTS):
                try:
                    client.put(record_key_, bins, policy=create_policy(ttl))
                    return True
                except exception.RecordExistsError:
                    pass
                # The server still holds the record: claim it only if its entry
                # expired (within the record TTL's last seconds), over its generation.
                try:
                    _, meta, stored = client.get(record_key_)
                except exception.RecordNotFound:
                    continue
                try:
                    live = not entry_of_bins(stored, key).is_expired(now)
                except DeserializationError:
                    live = True  # unreadable: not known to be expired
                if live:
                    return False
                created = stored.get(CREATED_BIN)
                policy = version_policy(ttl, created if isinstance(created, float) else None)
                try:
                    client.put(record_key_, bins, meta={"gen": meta["gen"]}, policy=policy)
                    return True
                except exception.RecordNotFound:
                    continue
                except _LOST_RACE:
                    return False  # another writer's entry, live
            return False

        return await self._run(claim)

    async def _get_entry_and_token(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        record_key_ = self._key(collection, key)

        def get(client: aerospike.Client) -> tuple[StoredEntry, str] | None:
            try:
                _, meta, bins = client.get(record_key_)
            except exception.RecordNotFound:
                return None
            return entry_of_bins(bins, key), token_of(meta, bins)

        return await self._run(get)

    async def _put_entry_if_token(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, token: str
    ) -> bool:
        record_key_ = self._key(collection, key)
        bins = record_bins(collection, key, entry, self._null)

        def put(client: aerospike.Client, expected: Version) -> None:
            policy = version_policy(ttl, expected.created)
            client.put(record_key_, bins, meta={"gen": expected.generation}, policy=policy)

        return await self._if_token(token, put)

    async def _delete_entry_if_token(self, collection: str, key: str, token: str) -> bool:
        record_key_ = self._key(collection, key)

        def remove(client: aerospike.Client, expected: Version) -> None:
            client.remove(record_key_, policy=remove_policy(expected.generation, expected.created))

        return await self._if_token(token, remove)

    async def _if_token(
        self, token: str, command: Callable[[aerospike.Client, Version], None]
    ) -> bool:
        """Run a command conditional on the record ``token`` names: whether it ran
        (``False``: another write or delete came first, or a token of another form)."""
        expected = parse_token(token)
        if expected is None:
            return False

        def run(client: aerospike.Client) -> bool:
            try:
                command(client, expected)
            except _LOST_RACE:
                return False
            return True

        return await self._run(run)

    # --- listings, destroy and cull ------------------------------------------------------

    async def _found_pages(
        self, expressions: list[Any] | None, page_size: int
    ) -> AsyncIterator[list[Found]]:
        """The records a paginated query of the set finds, a page at a time, named."""
        policy = {} if expressions is None else {"expressions": expressions}
        query = await self._run(lambda client: self._query(client, page_size))

        def page(client: aerospike.Client) -> list[Found]:
            return _name_unnamed(client, [found_of_record(r) for r in query.results(policy)])

        while True:
            yield await self._run(page)
            if query.is_done():
                return

    def _query(self, client: aerospike.Client, page_size: int) -> aerospike.Query:
        """A paginated query of the set, ``page_size`` records a page (bin ``collection``)."""
        query = client.query(self.namespace, self.set_name)
        query.select(COLLECTION_BIN)
        query.max_records = page_size
        query.paginate()
        return query

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        async for found in self._found_pages(collection_filter(collection, time.time()), page_size):
            page = [
                item.names[1]
                for item in found
                if item.names is not None and item.names[0] == collection
            ]
            if page:
                yield page

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        seen: set[str] = set()
        async for found in self._found_pages(live_filter(time.time()), page_size):
            page = []
            for item in found:
                if item.names is not None and item.names[0] not in seen:
                    seen.add(item.names[0])
                    page.append(item.names[0])
            if page:
                yield page

    async def _remove_found(
        self,
        expressions: list[Any] | None,
        collection: str | None = None,
        limit: int | None = None,
    ) -> int:
        """Remove the records a query finds (of ``collection`` only, when given; at
        most ``limit``); how many it removed."""
        removed = 0
        async for found in self._found_pages(expressions, BATCH_LIMIT):
            keys = [item.key for item in found if collection is None or _belongs(item, collection)]
            if limit is not None:
                keys = keys[: limit - removed]
            if keys:
                removed += await self._run(partial(self._remove, keys=keys, live=False))
            if limit is not None and removed >= limit:
                break
        return removed

    async def _destroy(self) -> bool:
        return await self._remove_found(None) > 0

    async def _destroy_collection(self, collection: str) -> bool:
        expressions = collection_filter(collection, time.time())
        return await self._remove_found(expressions, collection) > 0

    async def _cull(self, now: float, limit: int | None) -> int:
        return await self._remove_found(expired_filter(now), limit=limit)

    # --- errors ------------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """The aerospike client's errors as kv errors (never the password)."""
        return translate_error(error)
