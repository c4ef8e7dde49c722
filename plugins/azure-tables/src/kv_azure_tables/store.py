"""``azure-tables://ACCOUNT/TABLE``: a kv store in one Azure Tables table.

Every entry is one entity of one table (:mod:`kv_azure_tables.entities`):
PartitionKey is the collection and RowKey the key (names the service cannot
hold are escaped or hashed, :mod:`kv_azure_tables.names`), the entry's JSON
document is in ``Value`` and its expiry, in whole seconds, in ``ExpiresAt``:
py-key-value's AzureTablesStore layout, so either library reads what the
other wrote. Azure Tables expires nothing by itself: expired entities stay
hidden (reads check the document's exact expiry) until :meth:`cull` deletes
them.

Calls (azure-data-tables' asynchronous ``TableClient``, one per event loop):

* ``get``/``put``: ``get_entity``, ``upsert_entity`` (replace);
* ``get_many``: filter queries of 14 keys each (a filter holds at most 15
  comparisons), sent at once; ``put_many``: entity group transactions of up
  to 100 upserts and 4 MiB (one collection is one partition);
* ``delete``/``delete_many``: a read of the entities' expiry and ETag, then
  ``delete_entity`` (or, for several, a transaction) conditional on the ETag,
  so a key counts only if this call deleted its live entity (the reply's
  status tells a deleted entity from one already gone); a transaction that
  meets a change is redone key by key;
* atomic operations: ``create_entity`` (``put_if_absent``), and
  ``update_entity``/``delete_entity`` conditional on the entity's ETag, which
  is the version;
* ``keys()``: a query of the partition in pages of up to 1,000 names
  (continuation tokens); ``collections()``: a skip scan, one query per
  collection for its first live entity (``PartitionKey gt`` the last one);
  ``cull()``: a query of ``ExpiresAt`` over the whole table (no index: a
  table scan); ``destroy()``/``destroy_collection()``: queries of the names
  and transactions that delete them.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import TableEntity, TableTransactionError, UpdateMode
from azure.data.tables.aio import TableClient

from kv.entry import StoredEntry
from kv.errors import DeserializationError, KeyValueError, StoreError, StoreSetupError
from kv.store import FullStore, TokenVersionMixin
from kv.url import StoreURL
from kv_azure_tables.clients import TableClients, Target, resolve_target
from kv_azure_tables.entities import (
    COLLECTION,
    EXPIRES_AT,
    KEY,
    PART_NAMES,
    VALUE,
    build_entity,
    document_fields,
    entity_size,
    expires_hint,
    expiry_is_certain,
    read_entry,
)
from kv_azure_tables.errors import error_code, table_is_missing, translate_error
from kv_azure_tables.names import decode_name, encode_name, is_hashed, quote
from kv_azure_tables.plugin import PLUGIN, AzureTablesOptions

__all__ = ["AzureTablesOptions", "AzureTablesStore"]

T = TypeVar("T")

BATCH_OPERATIONS = 100
"""Most operations of one entity group transaction."""
BATCH_BYTES = 3_500_000
"""Most bytes (about) of one transaction's entities: the service takes 4 MiB."""
FILTER_KEYS = 14
"""Keys one filter query reads: a filter holds at most 15 comparisons, and one
is the PartitionKey's."""
PAGE_LIMIT = 1000
"""Most entities the service returns per page."""
SCAN_PAGE = 10
"""Entities per page of the collections' skip scan."""

_ONCE: dict[str, Any] = {"retry_read": 0}
"""A conditional write is not sent again after its reply was lost: the second
try would meet the first one's effect and report a conflict."""
_GONE = frozenset({"ResourceNotFound", "EntityNotFound", "TableNotFound"})
_CHANGED = frozenset({"UpdateConditionNotSatisfied", "ConditionNotMet"})
_ETAG = re.compile(r'(W/)?"[^"\r\n]*"')
_ROW = ["PartitionKey", "RowKey", EXPIRES_AT]
"""What deletes read of an entity: its names and expiry (and, always, its ETag)."""

Row = tuple[str, str, str]
"""An entity to delete: PartitionKey, RowKey and the ETag it must still have."""


def _etag(entity: TableEntity) -> str:
    return str(entity.metadata["etag"])


def _batches(entities: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """``entities`` in transactions of at most 100 operations and about 3.5 MB."""
    batches: list[list[Mapping[str, Any]]] = []
    current: list[Mapping[str, Any]] = []
    size = 0
    for entity in entities:
        weight = entity_size(entity)
        if current and (len(current) >= BATCH_OPERATIONS or size + weight > BATCH_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(entity)
        size += weight
    if current:
        batches.append(current)
    return batches


def _by_partition(rows: Iterable[Row]) -> list[list[Row]]:
    """Deletes grouped into transactions: one partition each, at most 100."""
    partitions: dict[str, list[Row]] = {}
    for row in rows:
        partitions.setdefault(row[0], []).append(row)
    return [
        group[start : start + BATCH_OPERATIONS]
        for group in partitions.values()
        for start in range(0, len(group), BATCH_OPERATIONS)
    ]


def _delete_operation(row: Row) -> tuple[str, dict[str, str], dict[str, Any]]:
    partition, key, etag = row
    names = {"PartitionKey": partition, "RowKey": key}
    if not etag:
        return ("delete", names, {})
    return ("delete", names, {"etag": etag, "match_condition": MatchConditions.IfNotModified})


def _rows_filter(partition: str, rows: Sequence[str]) -> str:
    keys = " or ".join(f"RowKey eq {quote(row)}" for row in rows)
    return f"PartitionKey eq {quote(partition)} and ({keys})"


class AzureTablesStore(TokenVersionMixin, FullStore, plugin=PLUGIN):
    """A kv store in one Azure Tables (or Cosmos DB Table API) table.

    Nothing is connected until the first call (or :meth:`setup`), which
    reads the credentials (options, then the environment) and creates the
    table if it is missing and ``auto_create`` is on.

    Options (keywords, or a :class:`~kv_azure_tables.plugin.AzureTablesOptions`,
    where each is documented): an ``azure-tables://ACCOUNT/TABLE`` URL without
    query as the first argument, and/or ``account``, ``table``, ``endpoint``;
    the credentials (``connection_string``, ``account_key``, ``sas_token`` or
    ``credential``); ``auto_create``, ``connect_timeout``, ``read_timeout``,
    ``retries``, ``default_collection`` and the sweep options.

    Raises:
        InvalidOptionError: a bad table or account name, a bad option value,
            several credentials at once, or a URL with a query.
        InvalidURLError: a URL that is not ``azure-tables://ACCOUNT/TABLE``.
    """

    options: AzureTablesOptions

    def __init__(
        self, options: AzureTablesOptions | str | StoreURL | None = None, /, **keywords: object
    ) -> None:
        super().__init__(options, **keywords)
        self._clients: TableClients | None = None
        account = self.options.account or "?"
        self._where = f"table {self.options.table!r} of account {account!r}"
        self._secrets = (
            self.options.connection_string,
            self.options.account_key,
            self.options.sas_token,
        )

    def __repr__(self) -> str:
        return f"<AzureTablesStore {self._where}>"

    @property
    def target(self) -> Target | None:
        """Where the store's table is (``None`` until the store is first used)."""
        return None if self._clients is None else self._clients.target

    # --- lifecycle -------------------------------------------------------------------

    async def _open(self) -> None:
        clients = self._clients
        if clients is None:
            clients = TableClients(resolve_target(self.options), self.options)
            self._clients = clients
            self._where = clients.target.where
        client = await clients.get()
        if self.options.auto_create:
            await self._create_table(client)
            return
        try:  # one page of one name tells whether the table is there
            async for _ in client.list_entities(results_per_page=1, select=["RowKey"]):
                break
        except HttpResponseError as error:
            if table_is_missing(error):
                raise StoreSetupError(
                    f"The {self._where} does not exist (auto_create is off)",
                    store=self.store_name,
                ) from None
            raise

    async def _create_table(self, client: TableClient) -> None:
        try:
            await client.create_table()
        except ResourceExistsError:
            pass
        except HttpResponseError as error:
            if error.status_code != 403:
                raise
            # Credentials for the table's entities only (a SAS, say): it may exist already.
            async for _ in client.list_entities(results_per_page=1, select=["RowKey"]):
                break

    async def _close(self) -> None:
        if self._clients is not None:
            await self._clients.close()

    async def _client(self) -> TableClient:
        clients = self._clients
        if clients is None:  # a hook runs only once _open() made them
            raise StoreError("The store is not open", store=self.store_name)
        return await clients.get()

    async def _write(self, call: Callable[[TableClient], Awaitable[T]]) -> T:
        """Run a write; a table that has disappeared is created again first, if allowed."""
        client = await self._client()
        try:
            return await call(client)
        except HttpResponseError as error:
            if not (self.options.auto_create and table_is_missing(error)):
                raise
        await self._create_table(client)
        return await call(client)

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        found = await self._read(collection, key)
        return None if found is None else found[0]

    async def _read(self, collection: str, key: str) -> tuple[StoredEntry, TableEntity] | None:
        """The entry of ``collection``/``key`` and the entity it was read from."""
        partition, row = encode_name(collection), encode_name(key)
        client = await self._client()
        try:
            entity = await client.get_entity(partition, row)
        except ResourceNotFoundError:
            return None
        entry = read_entry(entity, collection, key, hashed=is_hashed(partition) or is_hashed(row))
        return None if entry is None else (entry, entity)

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        partition = encode_name(collection)
        rows = {key: encode_name(key) for key in keys}
        if len(rows) == 1:
            entry = await self._get_entry(collection, keys[0])
            return [entry if index == 0 else _read_again(entry) for index in range(len(keys))]
        found = await self._read_rows(partition, list(set(rows.values())), None)
        hashed = is_hashed(partition)
        entries: list[StoredEntry | None] = []
        for key in keys:
            entity = found.get(rows[key])
            entries.append(
                None
                if entity is None
                else read_entry(entity, collection, key, hashed=hashed or is_hashed(rows[key]))
            )
        return entries

    async def _read_rows(
        self, partition: str, rows: Sequence[str], select: list[str] | None
    ) -> dict[str, TableEntity]:
        """The entities of ``rows`` in ``partition`` that exist, by RowKey: filter
        queries of :data:`FILTER_KEYS` rows each, sent at once."""
        client = await self._client()

        async def query(chunk: Sequence[str]) -> list[TableEntity]:
            found = client.query_entities(_rows_filter(partition, chunk), select=select)
            try:
                return [entity async for entity in found]
            except HttpResponseError as error:
                if table_is_missing(error):
                    return []
                raise

        chunks = [rows[start : start + FILTER_KEYS] for start in range(0, len(rows), FILTER_KEYS)]
        pages = await asyncio.gather(*(query(chunk) for chunk in chunks))
        return {str(entity["RowKey"]): entity for page in pages for entity in page}

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        partition, row = encode_name(collection), encode_name(key)
        entity = build_entity(partition, row, collection, key, entry)
        await self._write(lambda client: client.upsert_entity(entity, mode=UpdateMode.REPLACE))

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        if len(keys) == 1:
            await self._put_entry(collection, keys[0], entries[0], ttl)
            return
        partition = encode_name(collection)
        entities = [
            build_entity(partition, encode_name(key), collection, key, entry)
            for key, entry in zip(keys, entries)
        ]

        async def submit(batch: list[Mapping[str, Any]]) -> None:
            operations = [("upsert", entity, {"mode": UpdateMode.REPLACE}) for entity in batch]
            # azure-core sends no POST again, but a transaction of upserts can be.
            for attempt in range(self.options.retries + 1):
                try:
                    await self._write(lambda client: client.submit_transaction(operations))
                    return
                except (ServiceRequestError, ServiceResponseError):
                    if attempt == self.options.retries:
                        raise
                await asyncio.sleep(0.2 * attempt)

        await asyncio.gather(*(submit(batch) for batch in _batches(entities)))

    async def _delete_entry(self, collection: str, key: str) -> bool:
        partition, row = encode_name(collection), encode_name(key)
        client = await self._client()
        while True:
            try:
                entity = await client.get_entity(partition, row, select=_ROW)
            except ResourceNotFoundError:
                return False
            live, etag = await self._liveness(entity, collection, key, time.time())
            if etag is None:
                return False  # gone meanwhile
            deleted = await self._delete_if(client, (partition, row, etag))
            if deleted is not None:
                return live and deleted

    async def _liveness(
        self, entity: TableEntity, collection: str, key: str, now: float
    ) -> tuple[bool, str | None]:
        """Whether an entity read with :data:`_ROW` is live at ``now``, and the ETag
        that answer holds for (``None``: the entity is gone). Only an entity that
        expires within the current second is read whole, for its exact expiry."""
        certain = expiry_is_certain(expires_hint(entity), now)
        if certain is not None:
            return not certain, _etag(entity)
        client = await self._client()
        try:
            whole = await client.get_entity(entity["PartitionKey"], entity["RowKey"])
        except ResourceNotFoundError:
            return False, None
        try:
            entry = read_entry(whole, collection, key)
        except DeserializationError:  # damaged: live, as a read would report it
            return True, _etag(whole)
        return entry is not None and not entry.is_expired(now), _etag(whole)

    async def _delete_if(self, client: TableClient, row: Row) -> bool | None:
        """Delete one entity if its ETag is still ``row``'s (any, for an empty one):
        ``True``; ``False`` if it is gone; ``None`` if it changed.

        ``delete_entity`` succeeds on a missing entity too: the reply's status
        (204 or 404), which azure-core hands to a ``raw_response_hook``, tells."""
        partition, key, etag = row
        statuses: list[int] = []

        def status(response: Any) -> None:
            statuses.append(response.http_response.status_code)

        condition: dict[str, Any] = {}
        if etag:
            condition = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        try:
            await client.delete_entity(
                partition, key, raw_response_hook=status, **condition, **_ONCE
            )
        except ResourceModifiedError:
            return None
        return bool(statuses) and statuses[-1] < 300

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        partition = encode_name(collection)
        names = {encode_name(key): key for key in keys}
        found = await self._read_rows(partition, list(names), _ROW)
        now = time.time()
        live: dict[str, bool] = {}
        rows: list[Row] = []
        for stored, entity in found.items():
            alive, etag = await self._liveness(entity, collection, names[stored], now)
            if etag is not None:
                live[stored] = alive
                rows.append((partition, stored, etag))
        client = await self._client()

        async def delete(batch: list[Row]) -> int:
            if await self._submit_deletes(client, batch):
                return sum(live[row[1]] for row in batch)
            # Something changed meanwhile: key by key, each read again.
            results = [await self._delete_entry(collection, names[row[1]]) for row in batch]
            return sum(results)

        counts = await asyncio.gather(*(delete(batch) for batch in _by_partition(rows)))
        return sum(counts)

    async def _submit_deletes(self, client: TableClient, batch: list[Row]) -> bool:
        """Delete a batch of one partition in one transaction: whether it did (``False``:
        an entity was gone or changed, and nothing was deleted)."""
        if len(batch) == 1:
            return bool(await self._delete_if(client, batch[0]))
        try:
            await client.submit_transaction([_delete_operation(row) for row in batch], **_ONCE)
        except TableTransactionError as error:
            if error_code(error) in _GONE | _CHANGED:
                return False
            raise
        return True

    # --- atomic operations ------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        partition, row = encode_name(collection), encode_name(key)
        entity = build_entity(partition, row, collection, key, entry)
        client = await self._client()
        while True:
            try:
                await self._write(lambda client: client.create_entity(entity, **_ONCE))
                return True
            except ResourceExistsError:
                pass
            try:
                existing = await client.get_entity(partition, row)
            except ResourceNotFoundError:
                continue  # deleted meanwhile: try to create it again
            found = read_entry(existing, collection, key)
            if found is not None and not found.is_expired(entry.created_at):
                return False
            try:  # an expired entry counts as absent: replace it if it is still the same
                await client.update_entity(
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=_etag(existing),
                    match_condition=MatchConditions.IfNotModified,
                    **_ONCE,
                )
                return True
            except (ResourceModifiedError, ResourceNotFoundError):
                continue

    async def _get_entry_and_token(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        found = await self._read(collection, key)
        return None if found is None else (found[0], _etag(found[1]))

    async def _put_entry_if_token(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, token: str
    ) -> bool:
        if not _ETAG.fullmatch(token):
            return False  # not an ETag of this store
        partition, row = encode_name(collection), encode_name(key)
        entity = build_entity(partition, row, collection, key, entry)
        client = await self._client()
        try:
            await client.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=token,
                match_condition=MatchConditions.IfNotModified,
                **_ONCE,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    async def _delete_entry_if_token(self, collection: str, key: str, token: str) -> bool:
        if not _ETAG.fullmatch(token):
            return False
        partition, row = encode_name(collection), encode_name(key)
        client = await self._client()
        return bool(await self._delete_if(client, (partition, row, token)))

    # --- optional capabilities ----------------------------------------------------------

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        """The partition's live keys, a page of the service's (up to 1,000) at a time,
        followed with its continuation tokens."""
        partition = encode_name(collection)
        client = await self._client()
        found = client.query_entities(
            f"PartitionKey eq {quote(partition)}",
            select=["RowKey", EXPIRES_AT, KEY],
            results_per_page=min(page_size, PAGE_LIMIT),
        )
        now = time.time()
        try:
            async for page in found.by_page():
                names = [
                    await self._name(entity, "RowKey", KEY, partition)
                    async for entity in page
                    if not expiry_is_certain(expires_hint(entity), now)
                ]
                if names:
                    yield names
        except HttpResponseError as error:
            if not table_is_missing(error):
                raise

    async def _name(
        self, entity: Mapping[str, Any], field: str, original: str, partition: str
    ) -> str:
        """The name an entity's PartitionKey or RowKey (``field``) stores: decoded, or
        for a hashed one the ``original`` property, else its document's."""
        stored = str(entity[field])
        if not is_hashed(stored):
            return decode_name(stored)
        name = entity.get(original)
        if isinstance(name, str):
            return name
        # A name too long for a property: its document names it.
        client = await self._client()
        whole = await client.get_entity(
            partition, str(entity["RowKey"]), select=[VALUE, *PART_NAMES]
        )
        fields = document_fields(whole)
        name = fields.get("collection" if field == "PartitionKey" else "key")
        if not isinstance(name, str):
            raise StoreError(f"The entity {stored!r} has a hashed name and names none")
        return name

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        """Collections holding live entries: a skip scan, one query per collection
        (``PartitionKey gt`` the last one found) for its first live entity."""
        client = await self._client()
        after: str | None = None
        page: list[str] = []
        select = ["PartitionKey", "RowKey", EXPIRES_AT, COLLECTION]
        now = time.time()
        while True:
            if after is None:
                scan = client.list_entities(select=select, results_per_page=SCAN_PAGE)
            else:
                scan = client.query_entities(
                    f"PartitionKey gt {quote(after)}", select=select, results_per_page=SCAN_PAGE
                )
            first: TableEntity | None = None
            try:
                async for entity in scan:
                    if not expiry_is_certain(expires_hint(entity), now):
                        first = entity
                        break
            except HttpResponseError as error:
                if not table_is_missing(error):
                    raise
            if first is None:
                break
            after = str(first["PartitionKey"])
            page.append(await self._name(first, "PartitionKey", COLLECTION, after))
            if len(page) >= page_size:
                yield page
                page = []
        if page:
            yield page

    async def _destroy(self) -> bool:
        return await self._delete_all(None)

    async def _destroy_collection(self, collection: str) -> bool:
        return await self._delete_all(f"PartitionKey eq {quote(encode_name(collection))}")

    async def _delete_all(self, query_filter: str | None) -> bool:
        """Delete every entity the filter (or the table) holds: a page of names at a
        time, in transactions; whether there was any."""
        client = await self._client()
        removed = False
        while True:
            rows = await self._scan(client, query_filter, ["PartitionKey", "RowKey"], PAGE_LIMIT)
            if not rows:
                return removed
            removed = True
            batches = _by_partition((str(e["PartitionKey"]), str(e["RowKey"]), "") for e in rows)
            # A transaction that meets an entity deleted meanwhile deletes nothing; the
            # next scan finds what is left.
            await asyncio.gather(*(self._submit_deletes(client, batch) for batch in batches))

    async def _scan(
        self, client: TableClient, query_filter: str | None, select: list[str], limit: int
    ) -> list[TableEntity]:
        """Up to ``limit`` entities of the filter (or the table), over as many pages
        as the service needs (a page may come back empty with a continuation)."""
        if query_filter is None:
            found = client.list_entities(select=select, results_per_page=limit)
        else:
            found = client.query_entities(query_filter, select=select, results_per_page=limit)
        entities: list[TableEntity] = []
        try:
            async for entity in found:
                entities.append(entity)
                if len(entities) >= limit:
                    break
        except HttpResponseError as error:
            if not table_is_missing(error):
                raise
        return entities

    async def _cull(self, now: float, limit: int | None) -> int:
        client = await self._client()
        found = client.query_entities(
            f"{EXPIRES_AT} le {int(now)}L", select=_ROW, results_per_page=PAGE_LIMIT
        )
        removed = 0
        rows: list[Row] = []
        try:
            async for entity in found:
                names = (str(entity["PartitionKey"]), str(entity["RowKey"]))
                certain = expiry_is_certain(expires_hint(entity), now)
                etag: str | None = _etag(entity)
                if certain is None:  # expires within this second: its document tells
                    alive, etag = await self._liveness(entity, "", "", now)
                    if alive:
                        continue
                if etag is None:
                    continue
                rows.append((*names, etag))
                if limit is not None and removed + len(rows) >= limit:
                    break
                if len(rows) >= PAGE_LIMIT:
                    removed += await self._delete_rows(client, rows)
                    rows = []
        except HttpResponseError as error:
            if not table_is_missing(error):
                raise
        return removed + await self._delete_rows(client, rows)

    async def _delete_rows(self, client: TableClient, rows: list[Row]) -> int:
        """Delete entities that must still have their ETags; how many were deleted."""

        async def delete(batch: list[Row]) -> int:
            if await self._submit_deletes(client, batch):
                return len(batch)
            return sum([bool(await self._delete_if(client, row)) for row in batch])

        return sum(await asyncio.gather(*(delete(batch) for batch in _by_partition(rows))))

    # --- errors ------------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """azure-core's and the service's errors, with no credential in the message."""
        return translate_error(error, where=self._where, secrets=self._secrets)


def _read_again(entry: StoredEntry | None) -> StoredEntry | None:
    """A copy of an entry whose value is decoded once more (duplicates of a key in
    ``get_many`` get values of their own)."""
    if entry is None or entry.value_object is None:
        return entry
    return StoredEntry(entry.json(), entry.created_at, entry.expires_at)
