"""``firestore://``: a kv store in Google Cloud Firestore (google-cloud-firestore's AsyncClient).

Layout (see :mod:`kv_firestore.plugin` for the URL and options):

* with a root collection (``firestore://PROJECT/ROOT``, the default form),
  entry ``(collection, key)`` is the document
  ``ROOT/{collection}/kv_entries/{key}``: the store owns ``ROOT`` and nothing
  else, ``collections()`` lists the documents of ``ROOT``, and every entry of
  every collection is in the one collection group ``kv_entries``, so one TTL
  policy covers the whole store;
* without one (``firestore://PROJECT``), py-key-value's FirestoreStore layout:
  ``{collection}/{key}`` at the database root, where the store owns the
  whole database.

Each document holds py-key-value's fields (``version``, ``value`` as JSON
text, ``created_at`` and ``expires_at`` as ISO 8601 text) plus the original
``collection`` and ``key`` and, for an entry with a TTL, ``delete_at``: a
Firestore timestamp for the service's TTL policy. Expired entries are hidden
on read whether or not the policy has deleted them yet. Names Firestore
cannot hold as ids are escaped (:mod:`kv_firestore.names`).

Native calls: ``get_all`` (BatchGetDocuments) for ``get_many``, write batches
of at most 500 writes for ``put_many``/``delete_many``, ``create()`` for
``put_if_absent``, ``update_time`` preconditions for the versioned writes (a
version is the document's ``update_time`` with its expiry), queries ordered by
document id in pages for ``keys()``. Each event loop gets its own client (a
grpc.aio channel belongs to its loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timezone
from typing import Any, TypeAlias

from google.api_core import exceptions as google_errors
from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.api_core.retry import AsyncRetry, if_exception_type
from google.cloud import firestore
from google.cloud.firestore_v1.async_collection import AsyncCollectionReference
from google.cloud.firestore_v1.async_document import AsyncDocumentReference
from google.cloud.firestore_v1.base_document import DocumentSnapshot
from google.cloud.firestore_v1.base_query import FieldFilter

from kv.entry import DOCUMENT_VERSION, StoredEntry, format_timestamp, parse_timestamp
from kv.errors import DeserializationError, KeyValueError, StoreConnectionError
from kv.loops import PerLoop
from kv.store import AtomicMixin, FullStore
from kv_firestore.errors import translate_error, unreachable
from kv_firestore.names import decode_id, encode_id, is_hashed
from kv_firestore.plugin import PLUGIN, FirestoreOptions

__all__ = ["BATCH_LIMIT", "ENTRIES", "FirestoreStore", "close_client"]

BATCH_LIMIT = 500
"""Most writes Firestore accepts in one batch (and the store's chunk for reads)."""

ENTRIES = "kv_entries"
"""The subcollection of a kv collection's document that holds its entries (the
collection group of the TTL policy)."""

TTL_FIELD = "delete_at"
"""The timestamp field the TTL policy acts on (set only on entries with a TTL)."""

_ID = "__name__"

_from_rfc3339: Callable[[str], datetime] = DatetimeWithNanoseconds.from_rfc3339

Snapshot: TypeAlias = "DocumentSnapshot[AsyncDocumentReference]"


def _epoch(value: object, field: str) -> float | None:
    """Seconds since the epoch of a stored timestamp (ISO text or a Firestore timestamp)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        stamp = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return stamp.timestamp()
    if isinstance(value, str):
        return parse_timestamp(value)
    raise DeserializationError(f"Stored {field} is a {type(value).__name__}, not a timestamp")


def _entry(data: dict[str, Any] | None, key: str) -> StoredEntry | None:
    """The entry a document's fields hold (``None`` for no document)."""
    if data is None:
        return None
    value = data.get("value")
    created = _epoch(data.get("created_at"), "created_at")
    expires = _epoch(data.get("expires_at"), "expires_at")
    if isinstance(value, str):
        return StoredEntry(value, created, expires)
    if isinstance(value, dict):  # py-key-value's value_format="dict"
        return StoredEntry(None, created, expires, value)
    shown = "missing" if value is None else f"a {type(value).__name__}"
    raise DeserializationError(f"Stored document's 'value' is {shown}, not JSON text", key=key)


def _fields(collection: str, key: str, entry: StoredEntry) -> dict[str, Any]:
    """The document of an entry: py-key-value's fields, the names and the TTL field."""
    fields: dict[str, Any] = {
        "version": DOCUMENT_VERSION,
        "value": entry.json(),
        "collection": collection,
        "key": key,
    }
    if entry.created_at is not None:
        fields["created_at"] = format_timestamp(entry.created_at)
    if entry.expires_at is not None:
        fields["expires_at"] = format_timestamp(entry.expires_at)
        fields[TTL_FIELD] = datetime.fromtimestamp(entry.expires_at, tz=timezone.utc)
    return fields


def _replacing(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` as an ``update()`` that replaces the whole document."""
    for absent in ("created_at", "expires_at", TTL_FIELD):
        fields.setdefault(absent, firestore.DELETE_FIELD)
    return fields


def _version(snapshot: Snapshot, entry: StoredEntry) -> str:
    """A document's version: its ``update_time`` (which every write changes) and expiry."""
    stamp = snapshot.update_time
    rfc3339 = getattr(stamp, "rfc3339", None)  # a DatetimeWithNanoseconds keeps the nanoseconds
    text = str(rfc3339()) if callable(rfc3339) else f"{stamp:%Y-%m-%dT%H:%M:%S.%fZ}"
    return f"{text}|{'' if entry.expires_at is None else repr(entry.expires_at)}"


def _parse_version(version: str) -> tuple[Any, float | None] | None:
    """The update time (a protobuf ``Timestamp``) and expiry of a version; ``None`` if
    it is not one of ours."""
    stamp, bar, expiry = version.partition("|")
    if not bar:
        return None
    try:
        parsed: Any = _from_rfc3339(stamp)
        return parsed.timestamp_pb(), float(expiry) if expiry else None
    except ValueError:
        return None


def _key_of(snapshot: Snapshot) -> str:
    """The original key of an entry document (its ``key`` field, else its decoded id)."""
    data = snapshot.to_dict() or {}
    stored = data.get("key")
    return stored if isinstance(stored, str) else decode_id(snapshot.id)


def _chunks(items: Sequence[Any], size: int = BATCH_LIMIT) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def close_client(client: firestore.AsyncClient, *, grace: float | None = None) -> None:
    """Close a client's grpc.aio channel (if it opened one), letting the calls on it
    finish for ``grace`` seconds."""
    # AsyncClient.close() only closes an HTTP session; the grpc.aio channel is the
    # GAPIC client's, which the AsyncClient builds lazily and keeps in a private
    # attribute (the library offers no other way to close it).
    api = getattr(client, "_firestore_api_internal", None)
    if api is not None:
        await api.transport.grpc_channel.close(grace)


async def _retire(client: firestore.AsyncClient, timeout: float) -> None:
    """Close a replaced client once no call can still use it.

    A call that took the client just before it was replaced may retry on its
    channel until the call's timeout, each attempt lasting up to that timeout
    again; a closed channel would refuse those attempts.
    """
    try:
        await asyncio.sleep(2 * timeout + 1)
    finally:  # also when the loop shuts down and cancels this task
        await close_client(client)


class FirestoreStore(AtomicMixin, FullStore, plugin=PLUGIN):
    """A kv store in Google Cloud Firestore.

    Nothing is connected until the first call. Options (keywords, or a
    :class:`~kv_firestore.plugin.FirestoreOptions`, where each is documented):
    ``project``, ``root``, ``database``, ``endpoint``, ``command_timeout``,
    ``credentials``, ``default_collection`` and the sweep options.
    """

    options: FirestoreOptions

    def __init__(self, options: FirestoreOptions | None = None, /, **keywords: object) -> None:
        super().__init__(options, **keywords)
        timeout = self.options.command_timeout
        self._timeout = timeout
        # Unavailable (and other transient) failures are tried again, for at most the
        # call's timeout: a call never hangs on a service that is down.
        self._retry = AsyncRetry(initial=0.05, maximum=1.0, multiplier=2.0, timeout=timeout)
        # A blind write (set, delete, a batch of them) may also be tried again after
        # Aborted: contending batches abort one another (the emulator's lock timeout),
        # and writing the same documents again is harmless.
        self._write_retry = AsyncRetry(
            predicate=if_exception_type(
                google_errors.Aborted,
                google_errors.InternalServerError,
                google_errors.ServiceUnavailable,
                google_errors.TooManyRequests,
            ),
            initial=0.05,
            maximum=1.0,
            multiplier=2.0,
            timeout=timeout,
        )
        self._clients: PerLoop[firestore.AsyncClient] = PerLoop(
            self._make_client, close=close_client, close_with_loop=True
        )
        self._closing: set[asyncio.Task[None]] = set()
        root = self.options.root
        self._where = (
            f"Firestore database {self.options.database!r}"
            + (f" of project {self.options.project!r}" if self.options.project else "")
            + (f", root collection {root!r}" if root else ", py-key-value layout")
        )

    def __repr__(self) -> str:
        return f"<FirestoreStore {self._where}>"

    # --- clients ---------------------------------------------------------------------

    async def _make_client(self) -> firestore.AsyncClient:
        options = self.options
        client_options = {"api_endpoint": options.endpoint} if options.endpoint else None
        return firestore.AsyncClient(
            project=options.project,
            credentials=options.credentials,
            database=options.database,
            client_options=client_options,
        )

    async def _client(self) -> firestore.AsyncClient:
        return self._clients.current or await self._clients.get()

    async def _close(self) -> None:
        await self._clients.close()

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        translated = translate_error(error, where=self._where)
        if isinstance(translated, StoreConnectionError) and unreachable(error):
            self._replace_client()
        return translated

    def _replace_client(self) -> None:
        """Let the running loop's next call make a new client, after the service was
        unreachable: gRPC waits longer and longer between reconnections (up to two
        minutes), while a new channel connects at once when the service is back. The
        old channel is closed once the calls that took it have ended (see :func:`_retire`)."""
        client = self._clients.current
        if client is None:
            return
        self._clients.invalidate()
        task = asyncio.get_running_loop().create_task(_retire(client, self._timeout))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _entries(self, client: firestore.AsyncClient, collection: str) -> AsyncCollectionReference:
        """The Firestore collection holding ``collection``'s entries."""
        if self.options.root is None:
            return client.collection(encode_id(collection))
        return client.collection(self.options.root, encode_id(collection), ENTRIES)

    def _ref(
        self, client: firestore.AsyncClient, collection: str, key: str
    ) -> AsyncDocumentReference:
        return self._entries(client, collection).document(encode_id(key))

    async def _snapshot(self, collection: str, key: str) -> Snapshot:
        ref = self._ref(await self._client(), collection, key)
        return await ref.get(retry=self._retry, timeout=self._timeout)

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        return _entry((await self._snapshot(collection, key)).to_dict(), key)

    async def _snapshots_of(self, collection: str, keys: Sequence[str]) -> dict[str, Snapshot]:
        """The snapshots of the existing documents of ``keys``, by stored id."""
        client = await self._client()
        entries = self._entries(client, collection)
        ids = list(dict.fromkeys(encode_id(key) for key in keys))

        async def read(chunk: Sequence[str]) -> list[Snapshot]:
            references = [entries.document(stored) for stored in chunk]
            return [
                snapshot
                async for snapshot in client.get_all(
                    references, retry=self._retry, timeout=self._timeout
                )
                if snapshot.exists
            ]

        found: dict[str, Snapshot] = {}
        for part in await asyncio.gather(*(read(chunk) for chunk in _chunks(ids))):
            for snapshot in part:
                found[snapshot.id] = snapshot
        return found

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        found = await self._snapshots_of(collection, keys)
        results: list[StoredEntry | None] = []
        for key in keys:
            snapshot = found.get(encode_id(key))
            results.append(None if snapshot is None else _entry(snapshot.to_dict(), key))
        return results

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        ref = self._ref(await self._client(), collection, key)
        await ref.set(
            _fields(collection, key, entry), retry=self._write_retry, timeout=self._timeout
        )

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        client = await self._client()
        parent = self._entries(client, collection)

        async def write(pairs: Sequence[tuple[str, StoredEntry]]) -> None:
            batch = client.batch()
            for key, entry in pairs:
                batch.set(parent.document(encode_id(key)), _fields(collection, key, entry))
            await batch.commit(retry=self._write_retry, timeout=self._timeout)

        await asyncio.gather(*(write(chunk) for chunk in _chunks(list(zip(keys, entries)))))

    async def _delete_entry(self, collection: str, key: str) -> bool:
        return await self._delete_entries(collection, [key]) > 0

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        # Each document is deleted only if it is still the one read (its update_time),
        # so the count of live entries deleted is exact. A batch that met a concurrent
        # write changed nothing (a batch is atomic): its keys are read and tried again.
        client = await self._client()
        pending: Sequence[str] = keys
        deleted = 0
        while pending:
            found = await self._snapshots_of(collection, pending)
            chunks = _chunks(list(found.values()))
            results = await asyncio.gather(
                *(self._delete_batch(client, chunk) for chunk in chunks), return_exceptions=True
            )
            by_id = {encode_id(key): key for key in pending}
            pending = []
            for chunk, result in zip(chunks, results):
                if isinstance(result, google_errors.FailedPrecondition | google_errors.NotFound):
                    pending.extend(by_id[snapshot.id] for snapshot in chunk)
                elif isinstance(result, BaseException):
                    raise result
                else:
                    deleted += result
        return deleted

    async def _delete_batch(self, client: firestore.AsyncClient, chunk: Sequence[Snapshot]) -> int:
        """Delete the documents of ``chunk`` if unchanged since read, in one batch; how
        many of them held live entries."""
        now = datetime.now(tz=timezone.utc).timestamp()
        live = 0
        batch = client.batch()
        for snapshot in chunk:
            entry = _entry_or_none(snapshot)
            if entry is None or not entry.is_expired(now):
                live += 1
            option = client.write_option(last_update_time=snapshot.update_time)
            batch.delete(snapshot.reference, option=option)
        await batch.commit(retry=self._write_retry, timeout=self._timeout)
        return live

    # --- atomic operations ------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        ref = self._ref(await self._client(), collection, key)
        fields = _fields(collection, key, entry)
        try:
            await ref.create(fields, retry=None, timeout=self._timeout)
            return True
        except google_errors.Conflict:
            pass
        snapshot = await ref.get(retry=self._retry, timeout=self._timeout)
        if not snapshot.exists:
            return False  # deleted since: another writer got there in between
        found = _entry_or_none(snapshot)
        if found is None or not found.is_expired(entry.created_at):
            return False
        return await self._update_if(await self._client(), ref, snapshot.update_time, fields)

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        snapshot = await self._snapshot(collection, key)
        entry = _entry(snapshot.to_dict(), key)
        return None if entry is None else (entry, _version(snapshot, entry))

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        parsed = _parse_version(version)
        if parsed is None or (parsed[1] is not None and parsed[1] <= (entry.created_at or 0)):
            return False
        client = await self._client()
        ref = self._ref(client, collection, key)
        return await self._update_if(client, ref, parsed[0], _fields(collection, key, entry))

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        parsed = _parse_version(version)
        if parsed is None or (parsed[1] is not None and parsed[1] <= now):
            return False
        client = await self._client()
        option = client.write_option(last_update_time=parsed[0])
        try:
            await self._ref(client, collection, key).delete(
                option=option, retry=None, timeout=self._timeout
            )
        except (google_errors.FailedPrecondition, google_errors.NotFound):
            return False
        return True

    async def _update_if(
        self,
        client: firestore.AsyncClient,
        ref: AsyncDocumentReference,
        update_time: Any,
        fields: dict[str, Any],
    ) -> bool:
        """Replace the document if it still has ``update_time``; whether it did."""
        option = client.write_option(last_update_time=update_time)
        try:
            await ref.update(_replacing(fields), option=option, retry=None, timeout=self._timeout)
        except (google_errors.FailedPrecondition, google_errors.NotFound):
            return False
        return True

    # --- listing ----------------------------------------------------------------------

    def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        return self._entry_pages(collection, page_size)

    async def _entry_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        """Keys of live entries, in pages; each page resumes after the last *stored* id
        (a hashed id does not sort where its key does)."""
        after: AsyncDocumentReference | None = None
        while True:
            client = await self._client()
            query = (
                self._entries(client, collection)
                .order_by(_ID)
                .select(["key", "expires_at"])
                .limit(page_size)
            )
            if after is not None:
                query = query.start_after({_ID: after})
            snapshots = [
                snapshot
                async for snapshot in query.stream(retry=self._retry, timeout=self._timeout)
            ]
            now = datetime.now(tz=timezone.utc).timestamp()
            page = [_key_of(s) for s in snapshots if not _expired(s, now)]
            if page:
                yield page
            if len(snapshots) < page_size:
                return
            after = snapshots[-1].reference

    def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        return self._name_pages(page_size)

    async def _name_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        """Collection names, in pages: the documents of the root (each the parent of a
        collection's entries), or the database's root collections."""
        client = await self._client()
        page: list[str] = []
        async for stored in self._collection_ids(client, page_size):
            name = decode_id(stored)
            if is_hashed(stored):
                found = await self._hashed_collection_name(client, stored)
                if found is None:
                    continue
                name = found
            page.append(name)
            if len(page) >= page_size:
                yield page
                page = []
        if page:
            yield page

    async def _collection_ids(
        self, client: firestore.AsyncClient, page_size: int
    ) -> AsyncIterator[str]:
        """Stored ids of the collections that hold documents."""
        root = self.options.root
        if root is None:
            async for collection in client.collections(retry=self._retry, timeout=self._timeout):
                yield collection.id
            return
        async for document in client.collection(root).list_documents(
            page_size=page_size, retry=self._retry, timeout=self._timeout
        ):
            yield document.id

    async def _hashed_collection_name(
        self, client: firestore.AsyncClient, stored: str
    ) -> str | None:
        """The original name of a collection stored under a hash: in any of its entries."""
        if self.options.root is None:
            parent = client.collection(stored)
        else:
            parent = client.collection(self.options.root, stored, ENTRIES)
        async for snapshot in (
            parent.select(["collection"]).limit(1).stream(retry=self._retry, timeout=self._timeout)
        ):
            name = (snapshot.to_dict() or {}).get("collection")
            return name if isinstance(name, str) else None
        return None

    # --- destroy and cull ---------------------------------------------------------------

    async def _destroy(self) -> bool:
        client = await self._client()
        stored = [name async for name in self._collection_ids(client, 1000)]
        counts = [await self._delete_where(self._parent(client, name)) for name in stored]
        return sum(counts) > 0

    async def _destroy_collection(self, collection: str) -> bool:
        client = await self._client()
        return await self._delete_where(self._entries(client, collection)) > 0

    async def _cull(self, now: float, limit: int | None) -> int:
        client = await self._client()
        cutoff = datetime.fromtimestamp(now, tz=timezone.utc)
        removed = 0
        async for stored in self._collection_ids(client, 1000):
            if limit is not None and removed >= limit:
                break
            parent = self._parent(client, stored)
            expired = parent.where(filter=FieldFilter(TTL_FIELD, "<=", cutoff))
            removed += await self._delete_where(expired, None if limit is None else limit - removed)
        return removed

    def _parent(self, client: firestore.AsyncClient, stored: str) -> AsyncCollectionReference:
        if self.options.root is None:
            return client.collection(stored)
        return client.collection(self.options.root, stored, ENTRIES)

    async def _delete_where(self, query: Any, limit: int | None = None) -> int:
        """Delete the documents ``query`` finds, in batches, each only if unchanged since
        it was found; return how many were deleted."""
        client = await self._client()
        deleted = 0
        while limit is None or deleted < limit:
            size = BATCH_LIMIT if limit is None else min(BATCH_LIMIT, limit - deleted)
            snapshots = [
                snapshot
                async for snapshot in query.select([])
                .limit(size)
                .stream(retry=self._retry, timeout=self._timeout)
            ]
            if not snapshots:
                break
            batch = client.batch()
            for snapshot in snapshots:
                option = client.write_option(last_update_time=snapshot.update_time)
                batch.delete(snapshot.reference, option=option)
            try:
                await batch.commit(retry=self._write_retry, timeout=self._timeout)
            except (google_errors.FailedPrecondition, google_errors.NotFound):
                continue  # one was written meanwhile: find them again
            deleted += len(snapshots)
        return deleted


def _entry_or_none(snapshot: Snapshot) -> StoredEntry | None:
    """The entry of a snapshot, or ``None`` if it cannot be read (it is then live)."""
    try:
        return _entry(snapshot.to_dict(), snapshot.id)
    except DeserializationError:
        return None


def _expired(snapshot: Snapshot, now: float) -> bool:
    """Whether a listed document's entry has expired (a damaged expiry counts as live)."""
    try:
        expires = _epoch((snapshot.to_dict() or {}).get("expires_at"), "expires_at")
    except DeserializationError:
        return False
    return expires is not None and expires <= now
