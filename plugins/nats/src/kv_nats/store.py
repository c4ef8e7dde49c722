"""``nats://HOST:PORT/BUCKET``: a kv store in one NATS JetStream key-value bucket.

Every entry is the last message of its key's subject,
``$KV.<bucket>.<collection>.<key>`` (names encoded by :mod:`kv_nats.names`),
holding kv's JSON document (:func:`kv.entry.encode_document`). The bucket
keeps one message per key (history 1), and the store reads it with a
direct get of the subject's last message.

Expiry is native: a put with a TTL sets the message's ``Nats-TTL`` header
(whole seconds, rounded up: nats-server 2.11 or later, a bucket with
per-message TTLs) and the server removes the message when it runs out. The
document keeps the exact expiry, so reads and listings hide an entry from
that moment on (listings read it from the ``Kv-Expires-At`` header).

Calls and their NATS operations:

* ``get``/``put``: one direct get / one JetStream publish;
* ``delete``: a direct get, then a delete marker (``KV-Operation: DEL``)
  published on condition that the subject's last sequence is still the one
  read, so only one of two racing deletes counts the entry; markers expire
  after :data:`MARKER_TTL` seconds;
* ``get_many``: batched direct gets of up to 100 keys each
  (:mod:`kv_nats.direct`); ``delete_many``: the same read, then one
  conditional marker per live key; ``put_many``: NATS key-value has no
  multi-key write, so one publish per key. At most ``max_concurrency`` calls
  of one bulk operation are in flight;
* ``keys()``/``collections()``: an ordered consumer on the bucket's stream
  (last message per subject, headers only, filtered by the collection's
  subject), which reads the names without the values; ``collections()`` walks
  every key of the bucket;
* ``destroy``/``destroy_collection``: a stream purge (of the collection's
  subjects);
* the atomic operations: publishes with ``Nats-Expected-Last-Subject-Sequence``
  (the server refuses one whose subject moved on); the version is the
  entry's stream sequence (its NATS revision) and expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from functools import lru_cache, partial

import nats.js.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

from kv.concurrent import run_all
from kv.entry import (
    StoredEntry,
    decode_document,
    document_is_live,
    encode_document,
    parse_document,
)
from kv.errors import (
    ConflictError,
    DeserializationError,
    KeyValueError,
    StoreConnectionError,
    StoreSetupError,
)
from kv.loops import PerLoop
from kv.store import (
    BaseStore,
    DestroyCollectionMixin,
    DestroyMixin,
    EnumerateCollectionsMixin,
    EnumerateKeysMixin,
    TokenVersionMixin,
)
from kv_nats.client import Connection, close, connect, translate_error
from kv_nats.direct import BATCH, last_messages
from kv_nats.listing import EXPIRES_HEADER, is_marker, live_messages
from kv_nats.names import (
    COLLECTION_HEADER,
    COLLECTION_LIMIT,
    KEY_HEADER,
    KEY_LIMIT,
    decode_token,
    encode_token,
    header_name,
    is_hashed,
)
from kv_nats.plugin import PLUGIN, NatsOptions

__all__ = ["EXPIRES_HEADER", "MARKER_TTL", "NatsOptions", "NatsStore"]


MARKER_TTL = 60
"""Seconds a delete marker stays in the bucket (for other NATS clients' watchers)."""

ATTEMPTS = 100
"""Rounds a conditional write makes while other writers keep moving the key."""

_EXPECTED_LAST = "Nats-Expected-Last-Subject-Sequence"
_WRONG_LAST = (10071, 10164)  # JetStream's "wrong last sequence" error codes
_DELETE_MARKER = {"KV-Operation": "DEL", "Nats-TTL": str(MARKER_TTL)}


def _is_live(message: api.RawStreamMsg, now: float) -> bool:
    """Whether a key's last message is an entry that has not expired at ``now``
    (damaged data counts as live: it is there)."""
    if is_marker(message.headers):
        return False
    try:
        return document_is_live(parse_document(message.data or b""), now)
    except DeserializationError:
        return True


def _entry(message: api.RawStreamMsg, key: str) -> StoredEntry | None:
    """The entry a key's last message holds (``None`` for a marker).

    Raises:
        DeserializationError: the message is not an entry document (naming ``key``).
    """
    if is_marker(message.headers):
        return None
    try:
        return decode_document(message.data or b"")
    except DeserializationError as error:
        error.add_context(key=key)
        raise


@lru_cache(maxsize=1024)
def _collection_token(collection: str) -> str:
    """A collection's subject token (a store uses a few collections, many times)."""
    return encode_token(collection, COLLECTION_LIMIT)


def _name(token: str, headers: dict[str, str] | None, header: str) -> str:
    """The original name of a subject token (a hashed one's is in the headers)."""
    name = decode_token(token)
    if name is not None:
        return name
    stored = (headers or {}).get(header)
    try:
        return token if stored is None else str(json.loads(stored))
    except ValueError:  # not a header kv wrote
        return token


class NatsStore(
    TokenVersionMixin,
    EnumerateKeysMixin,
    EnumerateCollectionsMixin,
    DestroyMixin,
    DestroyCollectionMixin,
    BaseStore,
    plugin=PLUGIN,
):
    """A kv store in one NATS JetStream key-value bucket.

    Nothing is connected until the first call (or :meth:`setup`): the bucket
    is checked then, and created if missing (``auto_create``).

    Options (a URL without query first, keywords, or a
    :class:`~kv_nats.plugin.NatsOptions`, where each is documented):
    ``NatsStore("nats://host:4222/cache", auto_create=False)``.

    Raises:
        InvalidOptionError: a bad bucket name or option value.
    """

    options: NatsOptions

    def _configure(self) -> None:
        self.bucket = self.options.bucket
        self._stream = f"KV_{self.bucket}"
        self._prefix = f"$KV.{self.bucket}."
        self._where = f"the NATS bucket {self.bucket!r}"
        self._direct = True
        self._limit = self.options.max_concurrency
        self._timeout = self.options.command_timeout or 24 * 3600.0
        self._broke_at = -math.inf
        self._connections = PerLoop(
            self._connect, close=lambda connection: close(connection.client), close_with_loop=True
        )

    def __repr__(self) -> str:  # never the credentials
        hosts = ",".join(self.options.hosts) or "localhost"
        default = self.default_collection
        return f"<NatsStore hosts={hosts!r} bucket={self.bucket!r} default_collection={default!r}>"

    # --- connections -----------------------------------------------------------------

    async def _connect(self) -> Connection:
        return await connect(self.options, self._broke)

    async def _broke(self) -> None:
        """A connection broke: requests that were in flight on it are lost."""
        self._broke_at = time.monotonic()

    async def _jetstream(self) -> JetStreamContext:
        """The running loop's JetStream context (see :meth:`_connection`)."""
        return (await self._connection()).jetstream

    async def _connection(self) -> Connection:
        """The running loop's connection, once it is up.

        A connection that is reconnecting gets up to ``connect_timeout``
        seconds; one that gave up (closed) is replaced by a new one.

        Raises:
            StoreConnectionError: no server answers.
        """
        connection = await self._connections.get()
        deadline = time.monotonic() + self.options.connect_timeout
        while True:
            client = connection.client
            if client.is_connected:
                return connection
            if client.is_closed:
                if self._connections.current is connection:  # not yet replaced by another call
                    self._connections.invalidate()
                return await self._connections.get()
            if time.monotonic() > deadline:
                raise StoreConnectionError(f"Lost the connection to NATS ({self._where})")
            await asyncio.sleep(0.01)

    def _healthy(self) -> bool:
        """Whether the loop's connection is up and none broke while a request that
        is ending now may have waited."""
        connection = self._connections.current
        if connection is None or not connection.client.is_connected:
            return False
        return time.monotonic() - self._broke_at > self._timeout + 1

    # --- lifecycle -------------------------------------------------------------------

    async def _open(self) -> None:
        js = await self._jetstream()
        try:
            info = await js.stream_info(self._stream)
        except nats.js.errors.NotFoundError:
            if not self.options.auto_create:
                raise StoreSetupError(
                    f"{self._where} does not exist (auto_create is off)"
                ) from None
            await js.create_key_value(
                bucket=self.bucket,
                history=1,
                direct=True,
                storage=api.StorageType(self.options.storage),
                replicas=self.options.replicas,
            )
            info = await js.stream_info(self._stream)
        config = info.config
        if not config.allow_msg_ttl:
            raise StoreSetupError(
                f"{self._where} does not allow per-message TTLs (a bucket made before"
                " nats-server 2.11 or without allow_msg_ttl): enable it on its stream"
            )
        self._direct = bool(config.allow_direct)

    async def _close(self) -> None:
        await self._connections.close()

    # --- names and messages ------------------------------------------------------------

    def _subject(self, collection: str, key: str) -> str:
        return f"{self._prefix}{_collection_token(collection)}.{encode_token(key, KEY_LIMIT)}"

    def _collection_filter(self, collection: str) -> str:
        return f"{self._prefix}{_collection_token(collection)}.>"

    def _message(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> tuple[str, bytes, dict[str, str]]:
        """The subject, body (kv's entry document) and headers of an entry's message."""
        collection_token = _collection_token(collection)
        key_token = encode_token(key, KEY_LIMIT)
        document = encode_document(entry, collection=collection, key=key).encode()
        headers: dict[str, str] = {}
        if ttl is not None and entry.expires_at is not None:
            headers["Nats-TTL"] = str(max(1, math.ceil(ttl)))
            headers[EXPIRES_HEADER] = repr(entry.expires_at)
        if is_hashed(collection_token):
            headers[COLLECTION_HEADER] = header_name(collection)
        if is_hashed(key_token):
            headers[KEY_HEADER] = header_name(key)
        return f"{self._prefix}{collection_token}.{key_token}", document, headers

    async def _last(self, js: JetStreamContext, subject: str) -> api.RawStreamMsg | None:
        """The subject's last message (an entry or a marker), or ``None``."""
        try:
            return await js.get_msg(self._stream, subject=subject, direct=self._direct)
        except nats.js.errors.NotFoundError:
            return None

    async def _publish_if(
        self,
        js: JetStreamContext,
        subject: str,
        payload: bytes,
        headers: dict[str, str],
        last: int,
    ) -> bool:
        """Publish if the subject's last sequence is ``last`` (0: it has no message)."""
        try:
            await js.publish(subject, payload, headers={**headers, _EXPECTED_LAST: str(last)})
        except nats.js.errors.APIError as error:
            if error.err_code in _WRONG_LAST:
                return False
            raise
        return True

    # --- entries ---------------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        found = await self._get_entry_and_token(collection, key)
        return None if found is None else found[0]

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        unique = list(dict.fromkeys(keys))
        subjects = [self._subject(collection, key) for key in unique]
        messages = await self._last_of(subjects)
        entries: dict[str, StoredEntry | None] = {}
        for key, subject in zip(unique, subjects):
            message = messages.get(subject)
            entries[key] = None if message is None else _entry(message, key)
        return [entries[key] for key in keys]

    async def _last_of(self, subjects: list[str]) -> dict[str, api.RawStreamMsg]:
        """The last message of each subject that has one: batched direct gets
        (:mod:`kv_nats.direct`), else (no direct gets, or a batch the server did
        not answer whole) one direct get per subject."""
        connection = await self._connection()
        chunks = [subjects[start : start + BATCH] for start in range(0, len(subjects), BATCH)]
        answers: list[dict[str, api.RawStreamMsg] | None] = [None] * len(chunks)
        if self._direct:
            client, stream, timeout = connection.client, self._stream, self._timeout
            answers = await run_all(
                [partial(last_messages, client, stream, chunk, timeout) for chunk in chunks],
                limit=self._limit,
            )
        found: dict[str, api.RawStreamMsg] = {}
        again: list[str] = []
        for chunk, answer in zip(chunks, answers):
            if answer is None:
                again.extend(chunk)
            else:
                found.update(answer)
        if again:
            js = connection.jetstream
            singles = await run_all(
                [partial(self._last, js, subject) for subject in again], limit=self._limit
            )
            found.update({s: m for s, m in zip(again, singles) if m is not None})
        return found

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        js = await self._jetstream()
        subject, document, headers = self._message(collection, key, entry, ttl)
        await js.publish(subject, document, headers=headers or None)

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        await run_all(
            [
                partial(self._put_entry, collection, key, entry, ttl)
                for key, entry in zip(keys, entries)
            ],
            limit=self._limit,
        )

    async def _delete_entry(self, collection: str, key: str) -> bool:
        js = await self._jetstream()
        return await self._delete_subject(js, self._subject(collection, key))

    async def _delete_subject(self, js: JetStreamContext, subject: str) -> bool:
        """Put a delete marker over the subject's live entry, on condition that it is
        still the last message (else read it again); whether there was one."""
        for _ in range(ATTEMPTS):
            message = await self._last(js, subject)
            if message is None or not _is_live(message, time.time()):
                return False
            if await self._publish_if(js, subject, b"", _DELETE_MARKER, message.seq or 0):
                return True
        raise self._conflict()

    async def _delete_seen(self, js: JetStreamContext, subject: str, sequence: int) -> bool:
        """:meth:`_delete_subject` of a subject whose live entry was read at ``sequence``."""
        if await self._publish_if(js, subject, b"", _DELETE_MARKER, sequence):
            return True
        return await self._delete_subject(js, subject)  # it changed since: read it again

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        subjects = list(dict.fromkeys(self._subject(collection, key) for key in keys))
        messages = await self._last_of(subjects)
        now = time.time()
        live = [(s, m.seq or 0) for s, m in messages.items() if _is_live(m, now)]
        js = await self._jetstream()
        deleted = await run_all(
            [partial(self._delete_seen, js, *found) for found in live], limit=self._limit
        )
        return sum(deleted)

    def _conflict(self) -> ConflictError:
        return ConflictError(
            f"The key kept changing in {self._where}: {ATTEMPTS} conditional writes refused"
        )

    # --- atomic operations ------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        assert entry.created_at is not None  # the base sets it ("now")
        js = await self._jetstream()
        subject, document, headers = self._message(collection, key, entry, ttl)
        last = 0  # create: the subject has no message
        for _ in range(ATTEMPTS):
            if await self._publish_if(js, subject, document, headers, last):
                return True
            message = await self._last(js, subject)
            if message is None:
                last = 0
            elif _is_live(message, entry.created_at):
                return False
            else:  # a marker or an expired entry: replace exactly that message
                last = message.seq or 0
        raise self._conflict()

    async def _get_entry_and_token(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        js = await self._jetstream()
        message = await self._last(js, self._subject(collection, key))
        if message is None:
            return None
        entry = _entry(message, key)
        return None if entry is None else (entry, str(message.seq))

    async def _put_entry_if_token(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, token: str
    ) -> bool:
        if not token.isdigit():
            return False  # not a stream sequence: not a version of this store
        js = await self._jetstream()
        subject, document, headers = self._message(collection, key, entry, ttl)
        return await self._publish_if(js, subject, document, headers, int(token))

    async def _delete_entry_if_token(self, collection: str, key: str, token: str) -> bool:
        if not token.isdigit():
            return False
        js = await self._jetstream()
        subject = self._subject(collection, key)
        return await self._publish_if(js, subject, b"", _DELETE_MARKER, int(token))

    # --- listings and destruction -------------------------------------------------------

    async def _consume(self, subjects: str, page_size: int) -> AsyncGenerator[list[Msg], None]:
        """The live entries under ``subjects`` (:func:`kv_nats.listing.live_messages`)."""
        js = await self._jetstream()
        async with contextlib.aclosing(
            live_messages(js, self._stream, subjects, page_size, self._timeout)
        ) as pages:
            async for page in pages:
                yield page

    def _split(self, message: Msg) -> tuple[str, str]:
        """The collection and key tokens of a listed message's subject."""
        collection, _, key = message.subject[len(self._prefix) :].partition(".")
        return collection, key

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        async for messages in self._consume(self._collection_filter(collection), page_size):
            yield [_name(self._split(m)[1], m.headers, KEY_HEADER) for m in messages]

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        seen: set[str] = set()
        async for messages in self._consume(f"{self._prefix}>", page_size):
            page = []
            for message in messages:
                name = _name(self._split(message)[0], message.headers, COLLECTION_HEADER)
                if name not in seen:
                    seen.add(name)
                    page.append(name)
            if page:
                yield page

    async def _holds_entries(self, subjects: str) -> bool:
        """Whether a live entry is under ``subjects`` (the first page of a walk)."""
        async with contextlib.aclosing(self._consume(subjects, 1)) as walk:
            return await anext(walk, None) is not None

    async def _destroy(self) -> bool:
        held = await self._holds_entries(f"{self._prefix}>")
        js = await self._jetstream()
        await js.purge_stream(self._stream)
        return held

    async def _destroy_collection(self, collection: str) -> bool:
        subjects = self._collection_filter(collection)
        held = await self._holds_entries(subjects)
        js = await self._jetstream()
        await js.purge_stream(self._stream, subject=subjects)
        return held

    # --- errors ------------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """nats-py's errors as kv errors (:func:`kv_nats.client.translate_error`)."""
        return translate_error(error, self._where, self._healthy())
