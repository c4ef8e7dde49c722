"""The store of the search-engine family: kv on Elasticsearch or OpenSearch.

Written once against the engines' REST API, which both share; a plugin
(kv-elasticsearch, kv-opensearch) supplies its client library as a
:class:`~kv_search.engine.SearchEngine` and declares its schemes. Layout:
:mod:`kv_search.layout` (py-key-value's: index ``<prefix>-<collection>``,
``_id`` the key, one document per entry).

Calls and their REST requests:

* ``get``: ``GET /index/_doc/id`` (real time: no refresh needed);
  ``get_many``: one ``_mget``;
* ``put``: ``PUT /index/_doc/id``; ``put_many``: ``_bulk`` index actions,
  up to 1,000 documents or 5 MB a request; the index is created with the
  store's mapping on a collection's first write (``auto_create``);
* ``delete``/``delete_many``: read which keys hold live entries (``GET`` /
  ``_mget`` of ``expires_at``), then delete those on condition of their
  ``_seq_no``/``_primary_term`` (``DELETE`` / ``_bulk``), so that the count
  is exact and a concurrent rewrite is never deleted unseen;
* the atomic operations: ``_create`` (``op_type=create``) and writes and
  deletes with ``if_seq_no``/``if_primary_term``; a version is the document's
  ``_seq_no`` and ``_primary_term`` with its expiry (:class:`kv.store.TokenVersionMixin`);
* ``keys()``: searches sorted by key, paged with ``search_after``;
  ``collections()``: a ``composite`` aggregation of the ``collection`` field
  over ``<prefix>-*``; both list live entries only;
* ``destroy``, ``destroy_collection`` and ``cull``: ``_delete_by_query``
  (``cull``: ``expires_at`` before now). Indices stay, empty.

Expiry is not native: ``expires_at`` is stored, reads hide expired entries,
and ``cull()`` (and the store's sweep during writes) deletes them.
Writes do not refresh by default (``refresh=listing``): listings and
deletes-by-query refresh the indices they search first.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from kv.entry import StoredEntry, document_is_live
from kv.errors import (
    DeserializationError,
    KeyValueError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)
from kv.loops import PerLoop
from kv.store import FullStore, TokenVersionMixin
from kv_search.engine import Client, Reply, Request, SearchEngine, connection_of
from kv_search.layout import (
    collection_of_index,
    document_id,
    encode_collection,
    entry_of,
    index_body,
    write_document,
)
from kv_search.options import SearchOptions

__all__ = ["BULK_ACTIONS", "BULK_BYTES", "SearchStore"]

BULK_ACTIONS = 1000
"""Most documents one ``_bulk`` request carries."""

BULK_BYTES = 5_000_000
"""Most bytes of documents one ``_bulk`` request carries (unless one is larger)."""

ATTEMPTS = 50
"""Times a conditional step is tried again after a concurrent write got in between."""

_EXISTS = ("resource_already_exists_exception", "index_already_exists_exception")

Hit = Mapping[str, Any]


def _error_type(body: object) -> str:
    """The engine's error type of a reply (never its reason, which may quote a value)."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("type", "error"))
        if isinstance(error, str):
            return error[:80]
    return "error"


def _entry_of_hit(hit: Hit | None, key: str) -> StoredEntry | None:
    """The entry of a document read by key (``None``: not found)."""
    if hit is None:
        return None
    try:
        return entry_of(hit.get("_source"))
    except DeserializationError as error:
        error.add_context(key=key)  # bulk reads: the base cannot know which key
        raise


def _token(hit: Hit) -> str:
    """A document's token: its sequence number and primary term (``"12.1"``)."""
    return f"{hit['_seq_no']}.{hit['_primary_term']}"


def _condition(token: str) -> dict[str, str] | None:
    """The ``if_seq_no``/``if_primary_term`` parameters of a token."""
    seq_no, dot, primary_term = token.partition(".")
    if not dot or not seq_no.isdigit() or not primary_term.isdigit():
        return None
    return {"if_seq_no": seq_no, "if_primary_term": primary_term}


def _live_filter(now: float) -> dict[str, Any]:
    return {
        "bool": {
            "should": [
                {"range": {"expires_at": {"gt": math.floor(now * 1000)}}},
                {"bool": {"must_not": {"exists": {"field": "expires_at"}}}},
            ],
            "minimum_should_match": 1,
        }
    }


def _is_live(hit: Hit, now: float) -> bool:
    """Whether a hit read with its ``expires_at`` is a live entry (a damaged one is)."""
    source = hit.get("_source")
    return document_is_live(source if isinstance(source, dict) else {}, now)


def _chunks(lines: Sequence[tuple[str, ...]]) -> list[list[tuple[str, ...]]]:
    """Bulk actions in requests of at most BULK_ACTIONS actions and about BULK_BYTES."""
    chunks: list[list[tuple[str, ...]]] = [[]]
    size = 0
    for action in lines:
        length = sum(len(line) for line in action)
        if chunks[-1] and (len(chunks[-1]) >= BULK_ACTIONS or size + length > BULK_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(action)
        size += length
    return chunks


class SearchStore(TokenVersionMixin, FullStore, abstract=True):
    """A kv store on a search engine (one index per collection).

    A plugin subclasses it with its declaration and engine::

        class ElasticsearchStore(SearchStore, plugin=PLUGIN):
            engine = ELASTICSEARCH

    Nothing is connected until the first call; each event loop that uses
    the store gets its own client (:class:`kv.loops.PerLoop`).
    """

    engine: ClassVar[SearchEngine[Any]]
    """The engine and client library (set by the plugin's store class)."""

    options: SearchOptions

    def _configure(self) -> None:
        self.index_prefix = self.options.index_prefix or self.engine.default_prefix
        self._connection = connection_of(self.options)
        self._where = f"{self.engine.name} at {', '.join(self._connection.nodes)}"
        self._clients: PerLoop[Client] = PerLoop(self._connect, close=_close, close_with_loop=True)
        self._indices: set[str] = set()
        self._index_locks: dict[tuple[int, str], asyncio.Lock] = {}
        refresh = self.options.refresh
        self._write_params: dict[str, str] = {} if refresh == "listing" else {"refresh": refresh}
        self._refresh_first = refresh == "listing"
        self._field = self.engine.value_field

    def __repr__(self) -> str:  # never the credentials
        nodes = ",".join(self._connection.nodes)
        return (
            f"<{type(self).__name__} nodes={nodes!r} index_prefix={self.index_prefix!r}"
            f" default_collection={self.default_collection!r}>"
        )

    # --- lifecycle -------------------------------------------------------------------

    async def _connect(self) -> Client:
        client: Client = self.engine.connect(self._connection)
        return client

    async def _close(self) -> None:
        await self._clients.close()

    # --- requests --------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        body: object = None,
        params: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request; a ``dict``/``list`` body is sent as JSON, a ``str`` as it is."""
        text = body if body is None or isinstance(body, str) else json.dumps(body)
        return await self._request(self._connection.request(method, path, params, text))

    async def _request(self, request: Request) -> Reply:
        client = await self._clients.get()
        try:
            return await self.engine.send(client, request)
        except StoreConnectionError:
            # The server may come back another (an emulator restarted empty, a
            # failover): check its indices again before the next write.
            self._indices.clear()
            raise

    async def _bulk(self, index: str, actions: Sequence[tuple[str, ...]]) -> list[dict[str, Any]]:
        """Send bulk actions (each its NDJSON lines) to ``index``; the reply's items."""
        items: list[dict[str, Any]] = []
        for chunk in _chunks(actions):
            text = "\n".join(line for action in chunk for line in action) + "\n"
            path = f"/{index}/_bulk"
            request = self._connection.request("POST", path, self._write_params, text, ndjson=True)
            status, body = await self._request(request)
            if status >= 300:
                raise self._failure(status, body, "a bulk request")
            items.extend(next(iter(item.values())) for item in body["items"])
        return items

    def _failure(self, status: int, body: object, what: str) -> KeyValueError:
        """The kv error of an unexpected reply (its status and error type, no reason)."""
        kind = _error_type(body)
        message = f"{self._where} answered {status} ({kind}) to {what}"
        if status in (401, 403):
            return StoreConnectionError(f"{message}: check the credentials")
        if status in (408, 429, 503, 504):
            return StoreTimeoutError(message)
        return StoreError(message)

    async def _refresh(self, target: str) -> None:
        if self._refresh_first:
            params = {"ignore_unavailable": "true", "allow_no_indices": "true"}
            status, body = await self._send("POST", f"/{target}/_refresh", params=params)
            if status >= 300 and status != 404:
                raise self._failure(status, body, "a refresh")

    def _index(self, collection: str) -> str:
        return encode_collection(self.index_prefix, collection)

    def _path(self, collection: str, key: str, endpoint: str = "_doc") -> str:
        return f"/{self._index(collection)}/{endpoint}/{quote(document_id(key), safe='')}"

    async def _index_for_write(self, collection: str) -> str:
        """The collection's index, created with the store's mapping if missing."""
        index = self._index(collection)
        if index in self._indices:
            return index
        # One request per index and event loop, however many first writes wait.
        key = (id(asyncio.get_running_loop()), index)
        lock = self._index_locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                if index not in self._indices:
                    await self._prepare_index(index)
        finally:
            self._index_locks.pop(key, None)
        return index

    async def _prepare_index(self, index: str) -> None:
        if self.options.auto_create:
            status, body = await self._send("PUT", f"/{index}", index_body())
            if status >= 300 and _error_type(body) not in _EXISTS:
                raise StoreSetupError(
                    f"Could not create the index {index!r}: {self._failure(status, body, 'it')}"
                )
        else:
            status, body = await self._send("GET", f"/{index}/_mapping")
            if status == 404:
                raise StoreSetupError(
                    f"The index {index!r} does not exist and auto_create is off:"
                    " create it, or set auto_create=true"
                )
            if status >= 300:
                raise self._failure(status, body, "a mapping request")
        self._indices.add(index)

    # --- entries ---------------------------------------------------------------------

    async def _get_hit(
        self, collection: str, key: str, params: Mapping[str, str] | None = None
    ) -> Hit | None:
        status, body = await self._send("GET", self._path(collection, key), params=params)
        if status == 404:
            return None
        if status >= 300:
            raise self._failure(status, body, "a get")
        return body if body.get("found") else None

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        return _entry_of_hit(await self._get_hit(collection, key), key)

    async def _mget(
        self, collection: str, keys: Sequence[str], params: Mapping[str, str] | None = None
    ) -> dict[str, Hit]:
        """The found documents of ``keys``, by ``_id``."""
        ids = list(dict.fromkeys(document_id(key) for key in keys))
        index = self._index(collection)
        status, body = await self._send("POST", f"/{index}/_mget", {"ids": ids}, params)
        if status == 404:
            return {}
        if status >= 300:
            raise self._failure(status, body, "a multi-get")
        return {doc["_id"]: doc for doc in body["docs"] if doc.get("found")}

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        found = await self._mget(collection, keys)
        return [_entry_of_hit(found.get(document_id(key)), key) for key in keys]

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        await self._index_for_write(collection)
        document = write_document(collection, key, entry, self._field)
        status, body = await self._send(
            "PUT", self._path(collection, key), document, self._write_params
        )
        if status >= 300:
            raise self._failure(status, body, "a write")

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        index = await self._index_for_write(collection)
        actions = [
            (
                json.dumps({"index": {"_id": document_id(key)}}),
                write_document(collection, key, entry, self._field),
            )
            for key, entry in zip(keys, entries)
        ]
        for item in await self._bulk(index, actions):
            if item.get("status", 500) >= 300:
                raise self._failure(item["status"], item, "a bulk write")

    async def _delete_entry(self, collection: str, key: str) -> bool:
        return await self._delete_entries(collection, [key]) > 0

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        """Delete the keys' documents on condition of the versions just read: count
        those that were live; read again the keys a concurrent write got in between."""
        index = self._index(collection)
        pending = list(dict.fromkeys(keys))
        deleted = 0
        for _ in range(ATTEMPTS):
            found = await self._mget(collection, pending, {"_source_includes": "expires_at"})
            if not found:
                return deleted
            now = time.time()
            live = {doc_id for doc_id, hit in found.items() if _is_live(hit, now)}
            actions = [
                (json.dumps({"delete": {"_id": doc_id, **_bulk_condition(hit)}}),)
                for doc_id, hit in found.items()
            ]
            retry: set[str] = set()
            for item in await self._bulk(index, actions):
                status = item.get("status", 500)
                if status == 409:
                    retry.add(item["_id"])
                elif status < 300:
                    deleted += item["_id"] in live
                elif status != 404:
                    raise self._failure(status, item, "a bulk delete")
            if not retry:
                return deleted
            pending = [key for key in pending if document_id(key) in retry]
        raise StoreTimeoutError(f"Keys kept changing while {self._where} deleted them")

    # --- atomic operations ------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        await self._index_for_write(collection)
        now = entry.created_at if entry.created_at is not None else time.time()
        document = write_document(collection, key, entry, self._field)
        create = self._path(collection, key, "_create")
        for _ in range(ATTEMPTS):
            status, body = await self._send("PUT", create, document, self._write_params)
            if status < 300:
                return True
            if status != 409:
                raise self._failure(status, body, "a create")
            hit = await self._get_hit(collection, key, {"_source_includes": "expires_at"})
            if hit is None:
                continue  # deleted meanwhile: create again
            if _is_live(hit, now):
                return False
            # An expired entry counts as absent: replace that very document.
            params = {**self._write_params, **_condition_of(hit)}
            status, body = await self._send("PUT", self._path(collection, key), document, params)
            if status < 300:
                return True
            if status != 409:
                raise self._failure(status, body, "a conditional write")
        raise StoreTimeoutError(f"The key kept changing while {self._where} created it")

    async def _get_entry_and_token(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        hit = await self._get_hit(collection, key)
        entry = _entry_of_hit(hit, key)
        return None if hit is None or entry is None else (entry, _token(hit))

    async def _put_entry_if_token(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, token: str
    ) -> bool:
        document = write_document(collection, key, entry, self._field)
        return await self._conditional("PUT", collection, key, token, document)

    async def _delete_entry_if_token(self, collection: str, key: str, token: str) -> bool:
        return await self._conditional("DELETE", collection, key, token, None)

    async def _conditional(
        self, method: str, collection: str, key: str, token: str, body: str | None
    ) -> bool:
        """Write or delete only if the document still has ``token`` (its sequence number
        and primary term)."""
        condition = _condition(token)
        if condition is None:
            return False
        if body is not None:
            await self._index_for_write(collection)
        params = {**self._write_params, **condition}
        status, reply = await self._send(method, self._path(collection, key), body, params)
        if status in (404, 409):
            return False
        if status >= 300:
            raise self._failure(status, reply, "a conditional write")
        return True

    # --- optional capabilities ----------------------------------------------------------

    async def _search(self, target: str, query: dict[str, Any]) -> dict[str, Any] | None:
        status, body = await self._send("POST", f"/{target}/_search", query)
        if status == 404:
            return None
        if status >= 300:
            raise self._failure(status, body, "a search")
        result: dict[str, Any] = body
        return result

    async def _key_page(self, collection: str, after: str | None, limit: int) -> Sequence[str]:
        index = self._index(collection)
        if after is None:
            await self._refresh(index)
        query: dict[str, Any] = {
            "size": limit,
            "_source": ["key"],
            "query": {
                "bool": {
                    "filter": [{"term": {"collection": collection}}, _live_filter(time.time())]
                }
            },
            "sort": [{"key": "asc"}],
        }
        if after is not None:
            query["search_after"] = [after]
        body = await self._search(index, query)
        if body is None:
            return []
        return [str(hit["_source"]["key"]) for hit in body["hits"]["hits"]]

    async def _collection_page(self, after: str | None, limit: int) -> Sequence[str]:
        pattern = f"{self.index_prefix}-*"
        if after is None:
            await self._refresh(pattern)
        composite: dict[str, Any] = {
            "size": limit,
            "sources": [{"collection": {"terms": {"field": "collection"}}}],
        }
        if after is not None:
            composite["after"] = {"collection": after}
        query = {
            "size": 0,
            "query": _live_filter(time.time()),
            "aggs": {"collections": {"composite": composite}},
        }
        body = await self._search(pattern, query)
        if body is None:
            return []
        buckets = body.get("aggregations", {}).get("collections", {}).get("buckets", [])
        return [str(bucket["key"]["collection"]) for bucket in buckets]

    async def _delete_by_query(
        self, target: str, query: dict[str, Any], limit: int | None = None
    ) -> int:
        if limit is None:  # not a sweep (which may leave the newest writes to the next one)
            await self._refresh(target)
        params = {
            "conflicts": "proceed",
            "refresh": "true",
            "ignore_unavailable": "true",
            "allow_no_indices": "true",
        }
        if limit is not None:
            params["max_docs"] = str(limit)
        status, body = await self._send(
            "POST", f"/{target}/_delete_by_query", {"query": query}, params
        )
        if status == 404:
            return 0
        if status >= 300:
            raise self._failure(status, body, "a delete-by-query")
        return int(body.get("deleted", 0))

    async def _destroy(self) -> bool:
        return await self._delete_by_query(f"{self.index_prefix}-*", {"match_all": {}}) > 0

    async def _destroy_collection(self, collection: str) -> bool:
        query = {"term": {"collection": collection}}
        return await self._delete_by_query(self._index(collection), query) > 0

    async def _cull(self, now: float, limit: int | None) -> int:
        query = {"range": {"expires_at": {"lt": math.floor(now * 1000)}}}
        return await self._delete_by_query(f"{self.index_prefix}-*", query, limit)

    def collection_of_index(self, index: str) -> str | None:
        """The collection an index of this store stands for (``None``: hashed or not ours)."""
        return collection_of_index(self.index_prefix, index)


def _condition_of(hit: Hit) -> dict[str, str]:
    return {"if_seq_no": str(hit["_seq_no"]), "if_primary_term": str(hit["_primary_term"])}


def _bulk_condition(hit: Hit) -> dict[str, int]:
    return {"if_seq_no": int(hit["_seq_no"]), "if_primary_term": int(hit["_primary_term"])}


async def _close(client: Client) -> None:
    await client.close()
