"""``s3://BUCKET/PREFIX``: a kv store of JSON objects in an S3 bucket.

Each entry is one object, ``{prefix}{collection}/{key}`` (names mapped by
:mod:`kv_s3.names`), whose body is the entry's JSON document
(:func:`kv.entry.encode_document`: value, ``created_at``, ``expires_at``,
and the original names), with ``ContentType: application/json`` and the
metadata ``expires-at`` / ``created-at``: py-key-value's S3Store layout, so
each library reads what the other wrote.

S3 has no per-object expiry (lifecycle rules count whole days), so the
expiry is stored and an expired entry is hidden on read (the base store
checks ``expires_at``); a read never writes. :meth:`cull` finds expired
objects (a HEAD per object: it reads their ``expires-at`` metadata) and
deletes them with conditional deletes, so an entry rewritten meanwhile stays.

Calls: ``get`` is one GetObject, ``put`` one PutObject, ``delete`` a
HeadObject (did a live entry exist?) and a DeleteObject conditional on the
ETag it saw. ``get_many``/``put_many`` run their GetObject/PutObject calls
concurrently, at most ``max_connections`` at a time; ``delete_many`` heads
the keys concurrently and deletes the live ones with DeleteObjects (1,000 keys
a call). Listings are ListObjectsV2 pages (``keys()``: the collection's
prefix; ``collections()``: the store's prefix with delimiter ``/``).

The atomic operations are S3's conditional writes: ``put_if_absent`` is a
PutObject with ``If-None-Match: *`` (over an expired object: a PutObject with
``If-Match`` on that object's ETag), a version is the object's ETag (with
the expiry it was read with), and ``put_if_version`` / ``delete_if_version``
send ``If-Match: <ETag>``. Conditional writes of one object by one store
object are queued one at a time, so a process never races itself (S3 would
answer such a race with ``409 ConditionalRequestConflict``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from kv.entry import (
    StoredEntry,
    document_names_match,
    encode_document,
    entry_from_fields,
    format_timestamp,
    parse_document,
    parse_timestamp,
)
from kv.errors import DeserializationError, KeyValueError, StoreError, StoreSetupError
from kv.store import FullStore, TokenVersionMixin
from kv_aws import AwsClients, error_code, translate_error
from kv_s3.names import collection_segment, decode_segment, is_hashed, key_segment
from kv_s3.plugin import PLUGIN, S3_CAPABILITIES, S3Options

if TYPE_CHECKING:
    from types_aiobotocore_s3.client import S3Client
else:
    S3Client = Any

__all__ = ["S3_CAPABILITIES", "S3Options", "S3Store"]

T = TypeVar("T")

BATCH_DELETE_LIMIT = 1000
"""Most keys one DeleteObjects call takes (S3's limit)."""

LIST_PAGE_LIMIT = 1000
"""Most names one ListObjectsV2 call returns (S3's limit)."""

_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_CONDITION_FAILED = frozenset({"PreconditionFailed", "412"})
_CONFLICT = frozenset({"ConditionalRequestConflict", "409"})
_ATTEMPTS = 10
"""Rounds of a conditional write that keeps meeting concurrent changes."""


class _Object:
    """What a read of one object found: its ETag and its document's fields."""

    __slots__ = ("document", "etag")

    def __init__(self, etag: str, document: dict[str, Any]) -> None:
        self.etag = etag
        self.document = document


def _expiry(metadata: dict[str, str]) -> float | None:
    """The ``expires-at`` metadata of an object (``None``: none, or unreadable)."""
    text = metadata.get("expires-at")
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except DeserializationError:
        return None


async def _bounded(calls: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run ``calls`` concurrently, at most ``limit`` at a time; results in order.

    The first failure cancels the rest and is raised as it is.
    """
    if len(calls) == 1:
        return [await calls[0]()]
    results: list[Any] = [None] * len(calls)
    pending = iter(enumerate(calls))

    async def worker() -> None:
        for index, call in pending:
            results[index] = await call()

    tasks = [asyncio.ensure_future(worker()) for _ in range(min(limit, len(calls)))]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return results


class _KeyLocks:
    """One asyncio lock per object key, for the event loop that is running."""

    def __init__(self) -> None:
        self._loop: object = None
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def run(self, name: str, call: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._locks = loop, {}
        locks = self._locks
        lock, users = locks.get(name, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        locks[name] = (lock, users + 1)
        try:
            async with lock:
                return await call()
        finally:
            lock, users = locks[name]
            if users == 1:
                del locks[name]
            else:
                locks[name] = (lock, users - 1)


class S3Store(TokenVersionMixin, FullStore, plugin=PLUGIN):
    """A kv store in an S3 bucket, an object per entry.

    Nothing is contacted until the first call; the bucket is checked then
    (and created if missing, unless ``auto_create`` is off).

    Options (keywords, or an :class:`~kv_s3.plugin.S3Options`, where each is
    documented): ``bucket``, ``prefix``, ``auto_create``,
    ``addressing_style``, and kv-aws's ``region``, ``endpoint_url``,
    ``profile``, credentials, timeouts, ``max_attempts`` and
    ``max_connections`` (also the most requests one bulk call has in flight).

    Raises:
        InvalidOptionError: a bad bucket name, prefix or option value.
    """

    options: S3Options
    listing_page_size = LIST_PAGE_LIMIT

    def __init__(self, options: S3Options | None = None, /, **keywords: object) -> None:
        super().__init__(options, **keywords)
        self.bucket = self.options.bucket
        self.prefix = self.options.prefix
        self._clients = AwsClients(
            "s3", self.options, s3={"addressing_style": self.options.addressing_style}
        )
        self._where = f"the S3 bucket {self.bucket!r}"
        self._locks = _KeyLocks()

    def __repr__(self) -> str:
        endpoint = self.options.endpoint_url
        shown = "" if endpoint is None else f" endpoint={endpoint!r}"
        return f"<S3Store s3://{self.bucket}/{self.prefix}{shown}>"

    # --- lifecycle -------------------------------------------------------------------

    async def _open(self) -> None:
        client = await self._clients.get()
        try:
            await client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if error_code(error) not in ("404", "NoSuchBucket", "NotFound"):
                raise
            await self._create_bucket(client)

    async def _create_bucket(self, client: S3Client) -> None:
        """Create the bucket (``auto_create``), else raise :class:`StoreSetupError`."""
        if not self.options.auto_create:
            raise StoreSetupError(
                f"{self._where[0].upper()}{self._where[1:]} does not exist (auto_create is off)",
                store=self.store_name,
            )
        region = client.meta.region_name
        try:
            if region and region != "us-east-1":
                await client.create_bucket(
                    Bucket=self.bucket,
                    CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
                )
            else:
                await client.create_bucket(Bucket=self.bucket)
        except ClientError as error:
            if error_code(error) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    async def _close(self) -> None:
        await self._clients.close()

    async def _call(self, request: Callable[[S3Client], Awaitable[T]]) -> T:
        """Run one request; if the bucket is gone (an emulator restarted, someone
        deleted it) and ``auto_create`` is on, create it and run the request again."""
        client = await self._clients.get()
        try:
            return await request(client)
        except ClientError as error:
            if error_code(error) != "NoSuchBucket" or not self.options.auto_create:
                raise
        await self._create_bucket(client)
        return await request(client)

    # --- names -----------------------------------------------------------------------

    def _head(self, collection: str) -> str:
        """The prefix of every object of ``collection``."""
        return f"{self.prefix}{collection_segment(collection)}/"

    def _name(self, collection: str, key: str) -> str:
        """The object key of an entry."""
        head = self._head(collection)
        return head + key_segment(key, head)

    # --- single objects ----------------------------------------------------------------

    async def _read(self, collection: str, key: str) -> _Object | None:
        """GetObject: the object's ETag and parsed document, or ``None``."""
        name = self._name(collection, key)
        found = await self._get_object(name)
        if found is None:
            return None
        try:
            document = parse_document(found[1])
        except DeserializationError as error:
            error.add_context(key=key)
            raise
        hashed = is_hashed(name[len(self._head(collection)) :]) or is_hashed(
            collection_segment(collection)
        )
        if hashed and not document_names_match(document, collection, key):
            return None  # another name's hash (never seen: SHA-256)
        return _Object(found[0], document)

    async def _get_object(self, name: str) -> tuple[str, bytes] | None:
        """GetObject: the ETag and body of the object ``name``, or ``None``."""

        async def get(client: S3Client) -> tuple[str, bytes] | None:
            try:
                response = await client.get_object(Bucket=self.bucket, Key=name)
            except ClientError as error:
                if error_code(error) in _MISSING:
                    return None
                raise
            async with response["Body"] as stream:
                return response["ETag"], await stream.read()

        return await self._call(get)

    async def _head_object(self, name: str) -> tuple[str, float | None] | None:
        """HeadObject: the ETag and ``expires-at`` of an object, or ``None``."""

        async def head(client: S3Client) -> tuple[str, float | None] | None:
            try:
                response = await client.head_object(Bucket=self.bucket, Key=name)
            except ClientError as error:
                if error_code(error) in _MISSING:
                    return None
                raise
            return response["ETag"], _expiry(response.get("Metadata", {}))

        return await self._call(head)

    async def _write(
        self, name: str, collection: str, key: str, entry: StoredEntry, **condition: str
    ) -> bool:
        """PutObject (with ``IfMatch``/``IfNoneMatch`` if given); whether it wrote."""
        body = encode_document(entry, collection=collection, key=key).encode("utf-8")
        metadata = {}
        if entry.expires_at is not None:
            metadata["expires-at"] = format_timestamp(entry.expires_at)
        if entry.created_at is not None:
            metadata["created-at"] = format_timestamp(entry.created_at)

        async def put(client: S3Client) -> bool:
            try:
                await client.put_object(
                    Bucket=self.bucket,
                    Key=name,
                    Body=body,
                    ContentType="application/json",
                    Metadata=metadata,
                    **condition,  # type: ignore[arg-type]
                )
            except ClientError as error:
                code = error_code(error)
                if condition and code in _CONDITION_FAILED | _CONFLICT | _MISSING:
                    return False
                raise
            return True

        return await self._call(put)

    async def _remove(self, name: str, etag: str) -> bool:
        """DeleteObject if its ETag is still ``etag``; whether it deleted."""

        async def delete(client: S3Client) -> bool:
            try:
                await client.delete_object(Bucket=self.bucket, Key=name, IfMatch=etag)
            except ClientError as error:
                if error_code(error) in _CONDITION_FAILED | _CONFLICT | _MISSING:
                    return False
                raise
            return True

        return await self._call(delete)

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        found = await self._read(collection, key)
        return None if found is None else _entry(found, key)

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        unique = list(dict.fromkeys(keys))
        calls = [partial(self._get_entry, collection, key) for key in unique]
        found = dict(zip(unique, await _bounded(calls, self.options.max_connections)))
        # Repeated keys share one entry here: the base store copies its value.
        return [found[key] for key in keys]

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        await self._write(self._name(collection, key), collection, key, entry)

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        calls = [
            partial(self._put_entry, collection, key, entry, ttl)
            for key, entry in zip(keys, entries)
        ]
        await _bounded(calls, self.options.max_connections)

    async def _delete_entry(self, collection: str, key: str) -> bool:
        name = self._name(collection, key)
        for _ in range(_ATTEMPTS):
            found = await self._head_object(name)
            if found is None:
                return False
            etag, expires_at = found
            if await self._remove(name, etag):
                return _alive(expires_at, time.time())
            # Rewritten (or deleted) since the HEAD: look again.
        raise StoreError(f"{self._where}: the object kept changing while it was deleted")

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        names = {self._name(collection, key): key for key in keys}
        heads = await _bounded(
            [partial(self._head_object, name) for name in names],
            self.options.max_connections,
        )
        now = time.time()
        found = {name: head for name, head in zip(names, heads) if head is not None}
        live = {name for name, (_, expires_at) in found.items() if _alive(expires_at, now)}
        deleted, retry = await self._delete_objects(
            [(name, etag) for name, (etag, _) in found.items()]
        )
        count = len(deleted & live)
        for name in retry:  # rewritten since the HEAD: delete what is there now
            if await self._delete_entry(collection, names[name]):
                count += 1
        return count

    async def _delete_objects(
        self, objects: Sequence[tuple[str, str | None]]
    ) -> tuple[set[str], set[str]]:
        """DeleteObjects in calls of 1,000 (each conditional on its ETag, if given).

        Returns the names deleted and the names whose ETag no longer matched.
        """
        deleted: set[str] = set()
        changed: set[str] = set()
        for start in range(0, len(objects), BATCH_DELETE_LIMIT):
            chunk = objects[start : start + BATCH_DELETE_LIMIT]
            identifiers: list[Any] = [
                {"Key": name} if etag is None else {"Key": name, "ETag": etag}
                for name, etag in chunk
            ]

            async def delete(client: S3Client, identifiers: list[Any] = identifiers) -> Any:
                return await client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": identifiers, "Quiet": False}
                )

            response = await self._call(delete)
            deleted.update(item["Key"] for item in response.get("Deleted", ()))
            for failure in response.get("Errors", ()):
                code = failure.get("Code", "")
                if code in _CONDITION_FAILED or code == "ETag":
                    changed.add(failure["Key"])
                elif code not in _MISSING:
                    raise StoreError(
                        f"{self._where}: DeleteObjects failed for an object ({code}):"
                        f" {failure.get('Message', '')}"
                    )
        return deleted, changed

    # --- atomic operations ---------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        name = self._name(collection, key)

        async def claim() -> bool:
            for _ in range(_ATTEMPTS):
                if await self._write(name, collection, key, entry, IfNoneMatch="*"):
                    return True
                found = await self._read(collection, key)
                if found is None:
                    continue  # deleted meanwhile: claim again
                if _live(found, entry.created_at):
                    return False
                # An expired object: replace exactly that object.
                if await self._write(name, collection, key, entry, IfMatch=found.etag):
                    return True
            return False

        return await self._locks.run(name, claim)

    async def _get_entry_and_token(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        found = await self._read(collection, key)
        return None if found is None else (_entry(found, key), found.etag)

    async def _put_entry_if_token(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, token: str
    ) -> bool:
        name = self._name(collection, key)
        return await self._locks.run(
            name, lambda: self._write(name, collection, key, entry, IfMatch=token)
        )

    async def _delete_entry_if_token(self, collection: str, key: str, token: str) -> bool:
        name = self._name(collection, key)
        return await self._locks.run(name, lambda: self._remove(name, token))

    # --- listings ------------------------------------------------------------------------

    async def _list(
        self, prefix: str, page_size: int, *, delimiter: bool
    ) -> AsyncGenerator[tuple[list[str], list[str]], None]:
        """ListObjectsV2 pages under ``prefix``: (object keys, common prefixes)."""
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "Prefix": prefix,
                "MaxKeys": min(page_size, LIST_PAGE_LIMIT),
            }
            if delimiter:
                params["Delimiter"] = "/"
            if token is not None:
                params["ContinuationToken"] = token

            async def page(client: S3Client, params: dict[str, Any] = params) -> Any:
                return await client.list_objects_v2(Bucket=self.bucket, **params)

            response = await self._call(page)
            names = [item["Key"] for item in response.get("Contents", ())]
            prefixes = [item["Prefix"] for item in response.get("CommonPrefixes", ())]
            if names or prefixes:
                yield names, prefixes
            token = response.get("NextContinuationToken")
            if not response.get("IsTruncated") or token is None:
                return

    async def _original(self, name: str, field: str) -> str | None:
        """The original name (``field``: ``"key"`` or ``"collection"``) kept in the
        document of the object ``name`` (for hashed segments)."""
        found = await self._get_object(name)
        if found is None:
            return None
        try:
            value = parse_document(found[1]).get(field)
        except DeserializationError:
            return None
        return value if isinstance(value, str) and value else None

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        head = self._head(collection)
        async with contextlib.aclosing(self._list(head, page_size, delimiter=False)) as pages:
            async for names, _ in pages:
                page: list[str] = []
                for name in names:
                    segment = name[len(head) :]
                    if is_hashed(segment):
                        original = await self._original(name, "key")
                        if original is not None:
                            page.append(original)
                    else:
                        page.append(decode_segment(segment))
                yield page

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        async with contextlib.aclosing(self._list(self.prefix, page_size, delimiter=True)) as pages:
            async for _, prefixes in pages:
                page: list[str] = []
                for prefix in prefixes:
                    segment = prefix[len(self.prefix) : -1]
                    if not segment:
                        continue
                    if is_hashed(segment):
                        original = await self._first_collection_name(prefix)
                        if original is not None:
                            page.append(original)
                    else:
                        page.append(decode_segment(segment))
                yield page

    async def _first_collection_name(self, prefix: str) -> str | None:
        """The original name of a hashed collection, from one of its documents."""
        async with contextlib.aclosing(self._list(prefix, 1, delimiter=False)) as pages:
            async for names, _ in pages:
                return await self._original(names[0], "collection")
        return None

    async def _destroy_under(self, prefix: str) -> bool:
        """Delete every object under ``prefix``; whether there was one."""
        found = False
        async with contextlib.aclosing(
            self._list(prefix, LIST_PAGE_LIMIT, delimiter=False)
        ) as pages:
            async for names, _ in pages:
                deleted, _ = await self._delete_objects([(name, None) for name in names])
                found = found or bool(deleted)
        return found

    async def _destroy(self) -> bool:
        return await self._destroy_under(self.prefix)

    async def _destroy_collection(self, collection: str) -> bool:
        return await self._destroy_under(self._head(collection))

    async def _cull(self, now: float, limit: int | None) -> int:
        removed = 0
        async with contextlib.aclosing(
            self._list(self.prefix, LIST_PAGE_LIMIT, delimiter=False)
        ) as pages:
            async for names, _ in pages:
                heads = await _bounded(
                    [partial(self._head_object, name) for name in names],
                    self.options.max_connections,
                )
                expired = [
                    (name, head[0])
                    for name, head in zip(names, heads)
                    if head is not None and head[1] is not None and head[1] <= now
                ]
                if limit is not None:
                    expired = expired[: limit - removed]
                if expired:
                    # Conditional on the ETag seen: an entry rewritten meanwhile stays.
                    deleted, _ = await self._delete_objects(expired)
                    removed += len(deleted)
                if limit is not None and removed >= limit:
                    break
        return removed

    # --- errors ------------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """botocore's exceptions as kv errors (kv-aws's mapping; never credentials)."""
        return translate_error(error, where=self._where)


def _entry(found: _Object, key: str) -> StoredEntry:
    try:
        return entry_from_fields(found.document)
    except DeserializationError as error:
        error.add_context(key=key)
        raise


def _alive(expires_at: float | None, now: float) -> bool:
    return expires_at is None or expires_at > now


def _live(found: _Object, now: float | None) -> bool:
    """Whether an object read for a conditional write holds a live entry (a damaged
    expiry counts as live: nothing is overwritten that cannot be judged)."""
    expires_at = found.document.get("expires_at")
    if expires_at is None:
        return True
    try:
        return parse_timestamp(expires_at) > (now or time.time())
    except DeserializationError:
        return True
