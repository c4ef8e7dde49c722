"""``RespStore``: the store of kv-redis and kv-valkey, written once.

A plugin subclasses :class:`RespStore` and sets three class attributes: its
:class:`~kv.resp.driver.RespDriver` (client classes and exceptions), its
:class:`~kv.resp.options.RespSchemes` and its capabilities. Everything else
is here:

* one string key per entry (:mod:`kv.resp.keys`), holding the entry's JSON
  document; native expiry with ``SET ... PX`` in milliseconds, rounded up so
  a sub-second TTL is never 0;
* ``get_many`` is one ``MGET``; ``put_many`` one round trip (``MSET``
  without a TTL, a pipeline of ``SET ... PX`` with one); ``delete_many`` one
  ``DEL``. On a cluster, keys are grouped by hash slot (a multi-key command
  must stay within one slot) and sent as one pipeline: one round trip per node;
* enumeration and ``destroy()`` walk the keyspace with ``SCAN`` (cursor
  followed to 0, on every primary of a cluster) and never use ``KEYS`` or
  ``FLUSHDB``: only keys this store owns are listed or deleted.

The client library is used through its asyncio API, so these stores run
under asyncio (not trio).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from dataclasses import fields, replace
from typing import Any, ClassVar

from typing_extensions import Self

from kv.entry import StoredEntry, decode_document, encode_document
from kv.errors import DeserializationError, InvalidOptionError, KeyValueError
from kv.names import compound_key
from kv.options import parse_options
from kv.resp.driver import RespDriver, build_client, translate_error
from kv.resp.keys import RespKeyLayout
from kv.resp.options import (
    CONNECTION_OPTIONS,
    DEFAULT_PORT,
    RespOptions,
    RespSchemes,
    RespTarget,
    parse_target,
    validate_options,
)
from kv.store import (
    BaseStore,
    DestroyCollectionMixin,
    DestroyMixin,
    EnumerateCollectionsMixin,
    EnumerateKeysMixin,
)
from kv.url import StoreURL

__all__ = ["RespStore", "ttl_milliseconds"]

_DEFAULTS = {f.name: f.default for f in fields(RespOptions)}


def ttl_milliseconds(ttl: float) -> int:
    """A TTL in whole milliseconds for ``PX``, rounded up: never 0 for a TTL > 0.

    The product is first rounded to nanoseconds, so float noise does not add
    a millisecond (``0.3`` is 300 ms, not 301).
    """
    return max(1, math.ceil(round(ttl * 1000.0, 6)))


class RespStore(
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

    Args:
        url: Where the server is (see :mod:`kv.resp.options` for the forms);
            default ``<plain scheme>://localhost:6379/0``.
        **options: The fields of :class:`~kv.resp.options.RespOptions`; they
            override the URL's query. ``client=`` passes an existing asyncio
            client instead of a URL.

    Raises:
        InvalidURLError: the URL does not fit the plugin's forms.
        InvalidOptionError: an unknown option or a bad value.
    """

    driver: ClassVar[RespDriver]
    """The client library (set by the plugin)."""
    schemes: ClassVar[RespSchemes]
    """The URL schemes served (set by the plugin)."""

    def __init__(self, url: str | StoreURL | None = None, **options: object) -> None:
        store = self.store_name
        parsed_url = None if url is None else StoreURL.parse(url)
        parsed = parse_options(parsed_url, options, RespOptions, store=store)
        super().__init__(default_collection=parsed.default_collection)
        validate_options(parsed, store=store)
        client = parsed.client
        target: RespTarget | None = None
        if client is not None:
            _check_client_alone(parsed, parsed_url, store)
        else:
            if parsed_url is None:
                parsed_url = StoreURL.parse(f"{self.schemes.plain}://localhost:{DEFAULT_PORT}/0")
            parsed = replace(
                parsed,
                username=parsed.username if parsed.username is not None else parsed_url.username,
                password=parsed.password if parsed.password is not None else parsed_url.password,
            )
            target = parse_target(parsed_url, self.schemes, parsed)
        try:
            layout = RespKeyLayout(parsed.namespace)
        except KeyValueError as error:
            error.add_context(store=store)
            raise
        self.options: RespOptions = parsed
        """The validated options (the password is not shown in its repr)."""
        self.target: RespTarget | None = target
        """What the store connects to; ``None`` when it was given a client."""
        self.layout: RespKeyLayout = layout
        """The store's key layout (namespace and patterns)."""
        self._prefix = layout.prefix
        self._user_client: Any = client
        self._client: Any = None
        self._cluster = False
        self._where = f"{store} at {target.describe()}" if target is not None else store

    @classmethod
    def from_url(cls, url: StoreURL, **options: object) -> Self:
        """Build a store from a URL and keyword options (the plugin's factory).

        Raises:
            InvalidURLError: the URL does not fit the plugin's forms.
            InvalidOptionError: an unknown option or a bad value.
        """
        return cls(url, **options)

    def __repr__(self) -> str:
        namespace = "" if self.layout.namespace is None else f" namespace={self.layout.namespace!r}"
        where = self.target.describe() if self.target is not None else "client"
        return f"<{type(self).__name__} {where}{namespace}>"

    @property
    def client(self) -> Any:
        """The client in use (``None`` until the store is opened)."""
        return self._client

    # --- lifecycle ---------------------------------------------------------------

    async def _open(self) -> None:
        client = self._user_client
        if client is None:
            assert self.target is not None
            client = build_client(self.driver, self.target, self.options)
        self._cluster = isinstance(client, self.driver.cluster_client)
        if self._cluster:
            # Learn the slot map before the first command. redis-py 8 decides a
            # command's route before it initializes, so concurrent first calls
            # on an uninitialized cluster client all go to one node and come
            # back MOVED (and every 5th MOVED resets every connection).
            try:
                await client.initialize()
            except BaseException:
                if client is not self._user_client:
                    await client.aclose()
                raise
        self._client = client

    async def _close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client is not self._user_client:
            await client.aclose()

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        return translate_error(
            error,
            self.driver.errors,
            where=self._where,
            secrets=(self.options.password, self.options.ssl_password),
        )

    # --- single entries ----------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        # execute_command, not get(): the hot path skips the helper's argument checks.
        raw = await self._client.execute_command(
            "GET", self._prefix + compound_key(collection, key)
        )
        if raw is None:
            return None
        return decode_document(raw)

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        name = self._prefix + compound_key(collection, key)
        document = encode_document(entry, collection=collection, key=key)
        if ttl is None:
            await self._client.execute_command("SET", name, document)
        else:
            await self._client.execute_command("SET", name, document, "PX", ttl_milliseconds(ttl))

    async def _delete_entry(self, collection: str, key: str) -> bool:
        deleted = await self._client.delete(self._prefix + compound_key(collection, key))
        return bool(deleted)

    # --- bulk ----------------------------------------------------------------------

    def _names(self, collection: str, keys: Sequence[str]) -> list[str]:
        prefix = self._prefix
        return [prefix + compound_key(collection, key) for key in keys]

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        names = self._names(collection, keys)
        client = self._client
        # One MGET; a cluster client groups the keys by slot, one pipeline per node.
        raws = await (client.mget_nonatomic(names) if self._cluster else client.mget(names))
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
        client = self._client
        if ttl is None:
            mapping = dict(zip(names, documents))  # later duplicates win
            if self._cluster:
                await client.mset_nonatomic(mapping)
            else:
                await client.mset(mapping)
            return
        milliseconds = ttl_milliseconds(ttl)
        # One round trip (per node): a pipeline without MULTI/EXEC, in order.
        pipe = client.pipeline(transaction=False)
        for name, document in zip(names, documents):
            pipe.set(name, document, px=milliseconds)
        await pipe.execute()

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        # One DEL; a cluster client splits it by slot, one pipeline per node.
        deleted = await self._client.delete(*self._names(collection, keys))
        return int(deleted)

    # --- walking the keyspace ----------------------------------------------------

    async def _scan(self, pattern: str, count: int) -> AsyncIterator[list[Any]]:
        """Every string key matching ``pattern``, in batches, on every node.

        The cursor is followed until the server returns 0, so the walk is
        complete; a batch may be empty (``MATCH`` filters after scanning) and
        a key may come twice if the keyspace is resized meanwhile.
        """
        client = self._client
        if not self._cluster:
            cursor = 0
            while True:
                cursor, batch = await client.scan(
                    cursor=cursor, match=pattern, count=count, _type="string"
                )
                if batch:
                    yield batch
                if not int(cursor):
                    return
        await client.initialize()
        for node in client.get_primaries():
            cursor = 0
            while True:
                cursors, batch = await client.scan(
                    cursor=cursor, match=pattern, count=count, _type="string", target_nodes=node
                )
                if batch:
                    yield batch
                cursor = next(iter(cursors.values()), 0)
                if not int(cursor):
                    break

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        layout = self.layout
        prefix_bytes = len(layout.collection_prefix(collection).encode("utf-8", "surrogatepass"))
        seen: set[bytes | str] = set()
        async for batch in self._scan(layout.collection_pattern(collection), page_size):
            page: list[str] = []
            for raw in batch:
                if raw in seen:
                    continue
                seen.add(raw)
                key = layout.key_in_collection(raw, prefix_bytes)
                if key is not None:
                    page.append(key)
            if page:
                yield page

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        layout = self.layout
        seen: set[str] = set()
        async for batch in self._scan(layout.owned_pattern, page_size):
            page: list[str] = []
            for raw in batch:
                names = layout.split(raw)
                if names is not None and names[0] not in seen:
                    seen.add(names[0])
                    page.append(names[0])
            if page:
                yield page

    async def _unlink_matching(self, pattern: str, *, owned_only: bool) -> int:
        removed = 0
        split = self.layout.split
        async for batch in self._scan(pattern, 1000):
            names = [raw for raw in batch if split(raw) is not None] if owned_only else batch
            if names:
                removed += int(await self._client.unlink(*names))
        return removed

    async def _destroy(self) -> bool:
        return await self._unlink_matching(self.layout.owned_pattern, owned_only=True) > 0

    async def _destroy_collection(self, collection: str) -> bool:
        pattern = self.layout.collection_pattern(collection)
        return await self._unlink_matching(pattern, owned_only=False) > 0


def _check_client_alone(options: RespOptions, url: StoreURL | None, store: str) -> None:
    if isinstance(options.client, str):
        raise InvalidOptionError(
            "client must be an asyncio client object, passed as a keyword", store=store
        )
    if url is not None:
        raise InvalidOptionError("Give either a URL or a client, not both", store=store)
    given = sorted(name for name in CONNECTION_OPTIONS if getattr(options, name) != _DEFAULTS[name])
    if given:
        raise InvalidOptionError(
            f"{', '.join(given)} cannot be combined with a client (configure the client)",
            store=store,
        )
