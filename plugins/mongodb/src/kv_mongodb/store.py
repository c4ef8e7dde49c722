"""``mongodb://`` and ``mongodb+srv://``: a kv store in a MongoDB database.

Layout (py-key-value's MongoDBStore, so either library reads what the other
wrote): one MongoDB collection per kv collection (:mod:`kv_mongodb.names`),
one document per entry (:mod:`kv_mongodb.documents`), found by its ``key``
field. A collection the store creates gets a unique index on ``key`` and a
TTL index on ``expires_at`` (``expireAfterSeconds=0``): MongoDB deletes
expired documents itself, about once a minute, and reads, listings and
conditions hide them by their exact expiry meanwhile.

Calls and their MongoDB operations:

* ``get``/``put``/``delete``: ``find_one``, ``replace_one`` (upsert),
  ``find_one_and_delete`` (whose old expiry says whether it was live);
* ``get_many``: one ``find`` with ``{"key": {"$in": keys}}``; ``put_many``:
  one ``bulk_write`` of upserting ``ReplaceOne``; ``delete_many``: one
  ``delete_many`` with ``$in`` (live documents, so the count is right);
* ``keys()``: ``find`` sorted by ``key``, a page after the last key;
  ``collections()``: ``list_collection_names`` and one ``find_one`` per name;
  ``destroy_collection``: ``drop``; ``destroy``: ``drop_database``;
  ``cull``: ``delete_many`` of expired documents in every collection;
* the atomic operations: ``insert_one`` (the unique index refuses a second
  document of a key) and ``replace_one``/``delete_one`` whose filter holds
  the version (``kv_rev`` and ``created_at``) read with the entry.

Each event loop that uses the store gets its own ``AsyncMongoClient``
(:class:`kv.loops.PerLoop`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timezone
from typing import Any

from pymongo import ASCENDING, DeleteOne, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from kv.entry import StoredEntry
from kv.errors import KeyValueError, StoreSetupError
from kv.loops import PerLoop
from kv.store import AtomicMixin, FullStore
from kv_mongodb.client import Client, make_client, translate_error
from kv_mongodb.documents import (
    EXPIRES_AT,
    KEY,
    document_of,
    entry_of,
    expired_at,
    live_at,
    version_filter,
    version_of,
)
from kv_mongodb.names import collection_name, decode_collection
from kv_mongodb.plugin import DEFAULT_DATABASE, PLUGIN, MongoDBOptions

__all__ = ["MongoDBOptions", "MongoDBStore"]

Collection = AsyncCollection[dict[str, Any]]

_DUPLICATE_KEY = 11000
_INDEX_CONFLICTS = {85, 86}  # IndexOptionsConflict, IndexKeySpecsConflict
_NAMESPACE_EXISTS = 48
_WRITE_ATTEMPTS = 5
_IN_CHUNK = 5000
"""Keys one ``$in`` filter holds (a command stays far below 16 MiB)."""
_NO_ID = {"_id": False}


async def _close_client(client: Client) -> None:
    await client.close()


async def _no_setups() -> dict[str, asyncio.Future[None]]:
    return {}


async def _none(_: object) -> None:
    return None


async def _create_index(target: Collection, field: str, extra: dict[str, Any]) -> None:
    """Create an index on ``field`` unless one exists; a collection another process
    creates at the same moment (NamespaceExists) gets one more try."""
    for attempt in range(2):
        try:
            await target.create_index([(field, ASCENDING)], **extra)
        except OperationFailure as error:  # noqa: PERF203 - at most two tries
            if error.code in _INDEX_CONFLICTS:
                return
            if error.code != _NAMESPACE_EXISTS or attempt:
                raise
        else:
            return


def _naive_now() -> datetime:
    """Now, as pymongo reads BSON dates back (naive UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


class MongoDBStore(AtomicMixin, FullStore, plugin=PLUGIN):
    """A kv store in one MongoDB database.

    Nothing is connected until the first call; a kv collection's MongoDB
    collection is checked on its first use, and created with its indexes if
    missing (``auto_create``).

    Options (keywords, or a :class:`~kv_mongodb.plugin.MongoDBOptions`, where
    each is documented): the connection string (also the first positional
    argument) or ``hosts``, ``port``, ``user``, ``password``, ``database``,
    ``client_options``, ``auto_create``, the timeouts, ``default_collection``
    and the sweep options.

    Raises:
        InvalidOptionError: a bad database name or option value.
    """

    options: MongoDBOptions

    def __init__(self, options: MongoDBOptions | str | None = None, /, **keywords: object) -> None:
        super().__init__(options, **keywords)
        self.database = self.options.database or DEFAULT_DATABASE
        self._where = f"the MongoDB database {self.database!r}"
        self._clients = PerLoop(self._connect, close=_close_client, close_with_loop=True)
        self._setups: PerLoop[dict[str, asyncio.Future[None]]] = PerLoop(_no_setups, close=_none)

    def __repr__(self) -> str:  # never the credentials
        hosts = ",".join(self.options.hosts) or "localhost"
        default = self.default_collection
        return (
            f"<MongoDBStore hosts={hosts!r} database={self.database!r}"
            f" default_collection={default!r}>"
        )

    # --- lifecycle -------------------------------------------------------------------

    async def _connect(self) -> Client:
        return make_client(self.options)

    async def _open(self) -> None:
        await self._database()

    async def _close(self) -> None:
        await self._setups.close()
        await self._clients.close()

    async def _database(self) -> AsyncDatabase[dict[str, Any]]:
        client = await self._clients.get()
        return client[self.database]

    async def _mongo_collection(self, collection: str) -> Collection:
        return (await self._database())[collection_name(collection)]

    async def _setup_collection(self, collection: str) -> None:
        """Check the MongoDB collection, or create it with its two indexes.

        Calls of one event loop that set the same collection up at once share
        one setup.
        """
        pending = await self._setups.get()
        name = collection_name(collection)
        setup = pending.get(name)
        if setup is None:
            setup = pending[name] = asyncio.ensure_future(self._prepare_collection(name))
            setup.add_done_callback(lambda done: pending.pop(name, None))
        await asyncio.shield(setup)

    async def _prepare_collection(self, name: str) -> None:
        """Create the indexes (and so the collection) if missing.

        Creating an index that exists is a no-op, so racing setups all succeed.
        A collection py-key-value created has a plain index on ``key``: it is
        kept (MongoDB refuses a unique one beside it).
        """
        database = await self._database()
        if not self.options.auto_create:
            if not await database.list_collection_names(filter={"name": name}):
                raise StoreSetupError(
                    f"The MongoDB collection {name!r} does not exist in {self._where}"
                    " (auto_create is off)"
                )
            return
        target = database[name]
        for field, extra in ((KEY, {"unique": True}), (EXPIRES_AT, {"expireAfterSeconds": 0})):
            await _create_index(target, field, extra)

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        target = await self._mongo_collection(collection)
        document = await target.find_one({KEY: key}, _NO_ID)
        return None if document is None else entry_of(document, key)

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        target = await self._mongo_collection(collection)
        unique = list(dict.fromkeys(keys))
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(unique, _IN_CHUNK):
            async for document in target.find({KEY: {"$in": list(chunk)}}, _NO_ID):
                name = document.get(KEY)
                if isinstance(name, str):
                    found[name] = document
        entries: list[StoredEntry | None] = []
        given: set[str] = set()
        for key in keys:
            if key not in found:
                entries.append(None)
                continue
            entry = entry_of(found[key], key)
            if key in given:  # a repeated key gets a value of its own
                entry = StoredEntry(entry.json(), entry.created_at, entry.expires_at)
            given.add(key)
            entries.append(entry)
        return entries

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        await self._put_entries(collection, [key], [entry], ttl)

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        target = await self._mongo_collection(collection)
        documents = {key: document_of(collection, key, entry) for key, entry in zip(keys, entries)}
        pending = list(documents)
        # Upserts of one new key racing each other: the unique index refuses all
        # but one insert, and the others, sent again, replace it.
        for attempt in range(_WRITE_ATTEMPTS):
            if len(pending) == 1:
                try:
                    await target.replace_one({KEY: pending[0]}, documents[pending[0]], upsert=True)
                    return
                except DuplicateKeyError:
                    if attempt == _WRITE_ATTEMPTS - 1:
                        raise
                    continue
            requests = [ReplaceOne({KEY: key}, documents[key], upsert=True) for key in pending]
            try:
                await target.bulk_write(requests, ordered=False)
                return
            except BulkWriteError as error:
                errors = error.details.get("writeErrors", [])
                if attempt == _WRITE_ATTEMPTS - 1 or any(
                    failure.get("code") != _DUPLICATE_KEY for failure in errors
                ):
                    raise
                pending = [pending[failure["index"]] for failure in errors]

    async def _delete_entry(self, collection: str, key: str) -> bool:
        target = await self._mongo_collection(collection)
        # One findAndModify: an expired document goes too, and does not count.
        old = await target.find_one_and_delete({KEY: key}, {EXPIRES_AT: True, "_id": False})
        if old is None:
            return False
        expires_at = old.get(EXPIRES_AT)
        return not isinstance(expires_at, datetime) or expires_at > _naive_now()

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        target = await self._mongo_collection(collection)
        unique = list(dict.fromkeys(keys))
        now = time.time()
        deleted = 0
        for chunk in _chunks(unique, _IN_CHUNK):
            result = await target.delete_many({KEY: {"$in": list(chunk)}, **live_at(now)})
            deleted += result.deleted_count
        return deleted

    # --- atomic operations ------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        assert entry.created_at is not None  # the base sets it ("now")
        target = await self._mongo_collection(collection)
        document = document_of(collection, key, entry)
        expired = {KEY: key, **expired_at(entry.created_at)}
        # The filter's equality gives the inserted document its key.
        inserted = {"$setOnInsert": {name: item for name, item in document.items() if name != KEY}}
        # An expired document is replaced; otherwise an upsert that only inserts
        # ($setOnInsert) writes if no document of the key exists. Racing inserts
        # of a new key meet the unique index: the loser looks again.
        for _ in range(_WRITE_ATTEMPTS):
            if (await target.replace_one(expired, document)).matched_count:
                return True
            try:
                result = await target.update_one({KEY: key}, inserted, upsert=True)
            except DuplicateKeyError:
                continue
            return result.upserted_id is not None
        return False

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        target = await self._mongo_collection(collection)
        document = await target.find_one({KEY: key}, _NO_ID)
        if document is None:
            return None
        entry = entry_of(document, key)
        return entry, version_of(document, entry)

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        assert entry.created_at is not None  # the base sets it ("now")
        condition = version_filter(key, version, entry.created_at)
        if condition is None:
            return False
        target = await self._mongo_collection(collection)
        result = await target.replace_one(condition, document_of(collection, key, entry))
        return result.matched_count > 0

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        condition = version_filter(key, version, now)
        if condition is None:
            return False
        target = await self._mongo_collection(collection)
        return (await target.delete_one(condition)).deleted_count > 0

    # --- optional capabilities ----------------------------------------------------------

    async def _key_page(self, collection: str, after: str | None, limit: int) -> Sequence[str]:
        target = await self._mongo_collection(collection)
        query: dict[str, Any] = live_at(time.time())
        if after is not None:
            query[KEY] = {"$gt": after}
        cursor = target.find(query, {KEY: True, "_id": False}).sort(KEY, ASCENDING).limit(limit)
        return [document[KEY] async for document in cursor]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        database = await self._database()
        names = await database.list_collection_names()
        live = live_at(time.time())
        found: set[str] = set()
        for name in names:
            original = decode_collection(name)
            if name.startswith("system."):
                continue
            document = await database[name].find_one(live, {"collection": True, "_id": False})
            if document is None:
                continue
            if original is None:  # a hashed name: the document has the original
                stored = document.get("collection")
                if not isinstance(stored, str):
                    continue
                original = stored
            found.add(original)
        ordered = sorted(found)
        for start in range(0, len(ordered), page_size):
            yield ordered[start : start + page_size]

    async def _destroy(self) -> bool:
        database = await self._database()
        names = [name for name in await database.list_collection_names() if "system." not in name]
        held = False
        for name in names:
            if await database[name].find_one({}, {"_id": True}) is not None:
                held = True
                break
        client = await self._clients.get()
        await client.drop_database(self.database)
        self._forget_collection()
        return held

    async def _destroy_collection(self, collection: str) -> bool:
        target = await self._mongo_collection(collection)
        held = await target.find_one(live_at(time.time()), {"_id": True}) is not None
        await target.drop()
        return held

    async def _cull(self, now: float, limit: int | None) -> int:
        database = await self._database()
        removed = 0
        for name in await database.list_collection_names():
            if name.startswith("system.") or (limit is not None and removed >= limit):
                continue
            target = database[name]
            if limit is None:
                removed += (await target.delete_many(expired_at(now))).deleted_count
                continue
            cursor = target.find(expired_at(now), {"_id": True}).limit(limit - removed)
            requests = [DeleteOne({"_id": document["_id"]}) async for document in cursor]
            if requests:
                removed += (await target.bulk_write(requests, ordered=False)).deleted_count
        return removed

    # --- errors ------------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """pymongo's errors as kv errors (never the credentials or a value)."""
        return translate_error(error, where=self._where)
