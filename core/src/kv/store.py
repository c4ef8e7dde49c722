"""The base store that plugins subclass.

A plugin writes only the calls to its backend, as a handful of ``_hooks``;
:class:`BaseStore` does everything that must be identical for every store:

* the rules for values, keys, collections and TTLs (before anything is
  written), the default collection, results in input order;
* lifecycle: lazy setup on first use, ``async with``, an idempotent
  ``close()`` after which the store can be used again (it reopens lazily);
* expiry on read, so an entry past its TTL is never returned, whatever the
  backend does;
* error handling: a failing hook never leaks a backend exception. kv errors
  get the store, collection and key filled in; a connection or timeout error
  becomes :class:`~kv.errors.StoreConnectionError` /
  :class:`~kv.errors.StoreTimeoutError`; a plugin maps its client's
  exceptions in :meth:`BaseStore._translate_error`.

Options are declared once, in a :class:`~kv.options.CommonOptions` subclass
named by the store's ``Options`` class attribute; the constructor
(``Store(options)`` or ``Store(**keywords)``) and :meth:`BaseStore.from_url`
are derived from it, and the built options are ``store.options``.

Hooks a plugin must write::

    async def _get_entry(self, collection, key) -> StoredEntry | None
    async def _put_entry(self, collection, key, entry, ttl) -> None
    async def _delete_entry(self, collection, key) -> bool

Optional hooks: ``_open``/``_close`` (lifecycle), ``_setup_collection``,
``_get_entries``/``_put_entries``/``_delete_entries`` (native bulk calls; the
defaults loop), ``_translate_error``. A store whose backend is bulk-first
may write only the bulk hook of a pair: the single one then calls it with one
key. Optional capabilities come from the
mixins below, each with its own hook.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, SupportsFloat

from typing_extensions import Self

from kv._typecheck import typechecked
from kv.atomic import Versioned, expiring_version, live_token
from kv.capabilities import OPTIONAL_OPERATIONS, Capabilities
from kv.entry import StoredEntry
from kv.errors import (
    InvalidOptionError,
    KeyValueError,
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
    UnsupportedOperationError,
)
from kv.names import DEFAULT_COLLECTION, validate_collection, validate_key, validate_keys
from kv.options import CommonOptions
from kv.ttl import validate_ttl
from kv.url import StoreURL
from kv.values import dump_value, load_value, validate_values

if TYPE_CHECKING:
    import anyio

    from kv.plugin import StorePlugin

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "AtomicMixin",
    "BaseStore",
    "CullMixin",
    "DestroyCollectionMixin",
    "DestroyMixin",
    "EnumerateCollectionsMixin",
    "EnumerateKeysMixin",
    "FullStore",
    "TokenVersionMixin",
    "check_limit",
    "collect_names",
]

DEFAULT_PAGE_SIZE = 1000
"""How many names enumeration fetches per backend call, unless told otherwise."""

_now = time.time


def check_limit(limit: int | None) -> int | None:
    """Validate the ``limit`` of ``keys()``/``collections()`` (never quoting a non-int)."""
    if limit is None:
        return None
    if type(limit) is not int or limit < 0:
        shown = limit if type(limit) is int else f"a {type(limit).__name__}"
        raise ValueError(f"limit must be None or an int >= 0, not {shown}")
    return limit


async def collect_names(walk: AsyncGenerator[str, None], limit: int | None) -> list[str]:
    """The first ``limit`` names ``walk`` yields (all when ``None``); closes ``walk``.

    ``keys()`` and ``collections()`` of stores and wrappers are this over
    their ``iter_*`` walk, so they fetch no more pages than ``limit`` needs.
    """
    found: list[str] = []
    async with contextlib.aclosing(walk):
        if limit == 0:
            return found
        async for name in walk:
            found.append(name)
            if limit is not None and len(found) >= limit:
                break
    return found


def _page_for(limit: int | None, largest: int) -> int:
    """The page size of a walk that stops after ``limit`` names (``None``: every
    name): no larger than needed, and at most ``largest``."""
    return largest if limit is None else max(1, min(limit, largest))


def _check_page_size(page_size: int | None) -> int:
    if page_size is None:
        return DEFAULT_PAGE_SIZE
    if type(page_size) is not int or page_size < 1:
        shown = page_size if type(page_size) is int else f"a {type(page_size).__name__}"
        raise ValueError(f"page_size must be None or an int >= 1, not {shown}")
    return page_size


class BaseStore:
    """Base class of every kv store: the rules, lifecycle and error handling.

    Args:
        options: An instance of the store's ``Options`` class, or (when that
            class names a ``positional`` option) that option's value.
        **keywords: Options by name, validated by the ``Options`` class;
            ``default_collection`` is the collection used when a call passes
            ``collection=None`` (default ``"default_collection"``, as in
            py-key-value).

    Raises:
        InvalidOptionError: an unknown option or a bad value.
    """

    capabilities: Capabilities = Capabilities()
    """What this store can do (see :class:`~kv.capabilities.Capabilities`)."""

    store_name: ClassVar[str] = ""
    """Short name used in error messages; defaults to the class name."""

    Options: ClassVar[type[CommonOptions]] = CommonOptions
    """The store's options class: its fields are the constructor's keywords and
    the URL's query options."""

    options: CommonOptions
    """The options this store was built with."""

    listing_page_size: ClassVar[int] = DEFAULT_PAGE_SIZE
    """Names one backend call fetches when ``keys()`` or ``collections()`` lists
    everything (or more names than this): a store whose every query has a
    fixed cost, such as an SQL engine's, raises it so that a full listing
    makes fewer calls. ``iter_keys`` pages as its caller asks."""

    _has_collection_setup: ClassVar[bool] = False
    _next_sweep: float = float("inf")
    """When the next write sweeps expired entries (never, unless CullMixin)."""

    def __init_subclass__(
        cls, *, abstract: bool = False, plugin: StorePlugin | None = None, **kwargs: Any
    ) -> None:
        """Check, for concrete stores, that capabilities match the methods offered.

        Pass ``abstract=True`` in the class statement of a mixin or partial base,
        and ``plugin=PLUGIN`` (the plugin's :class:`~kv.plugin.StorePlugin`) to
        take ``capabilities``, ``Options`` and ``store_name`` from the declaration.
        """
        super().__init_subclass__(**kwargs)
        if plugin is not None:
            cls.capabilities = plugin.capabilities
            cls.Options = plugin.options  # type: ignore[assignment]
            cls.store_name = plugin.store_name
        if not cls.__dict__.get("store_name"):
            cls.store_name = cls.__name__
        cls._has_collection_setup = cls._setup_collection is not BaseStore._setup_collection
        for single, bulk, through_bulk in _BULK_FIRST:
            if getattr(cls, single) is getattr(BaseStore, single) and getattr(
                cls, bulk
            ) is not getattr(BaseStore, bulk):
                setattr(cls, single, through_bulk)  # a store that writes only the bulk hook
        if abstract:
            return
        caps = cls.capabilities
        for flag, method in OPTIONAL_OPERATIONS.items():
            declared = bool(getattr(caps, flag))
            offered = any(method in klass.__dict__ for klass in cls.__mro__)
            if declared != offered:
                state = "declares" if declared else "does not declare"
                has = "lacks" if declared else "has"
                raise TypeError(
                    f"{cls.__name__} {state} capability {flag!r} but {has} a {method}() method;"
                    " add or remove the matching mixin"
                )

    def __init__(self, options: object = None, /, **keywords: object) -> None:
        try:
            built = type(self).Options.build(options, keywords, store=self.store_name)
        except KeyValueError as error:
            error.add_context(store=self.store_name)
            raise
        self.options = built
        declared = type(self).capabilities
        adjusted = built.adjust_capabilities(declared)
        if adjusted != declared:
            self.capabilities = adjusted
        default_collection = built.default_collection
        if default_collection is None:
            default_collection = DEFAULT_COLLECTION
        try:
            self.default_collection: str = validate_collection(default_collection)
        except KeyValueError as error:
            raise InvalidOptionError(
                f"default_collection is invalid: {error.message}", store=self.store_name
            ) from None
        if isinstance(self, CullMixin):
            self.configure_sweep(interval=built.sweep_interval, limit=built.sweep_limit)
        self._ready = False
        self._setup_lock: anyio.Lock | None = None
        self._ready_collections: set[str] = set()
        self._configure()

    def _configure(self) -> None:
        """Set up the store's own state from :attr:`options`, once, at the end of
        ``__init__`` (no I/O: connecting is :meth:`_open`'s). A store whose
        constructor only does this needs no ``__init__`` of its own."""

    @classmethod
    def from_url(cls, url: StoreURL, /, **keywords: object) -> Self:
        """Build the store a URL names: its location and query, overridden by ``keywords``.

        Raises:
            InvalidURLError: the URL's location does not fit this store.
            InvalidOptionError: an unknown option or a bad value.
        """
        parsed = StoreURL.parse(url)
        try:
            options = cls.Options.from_url(parsed, keywords, store=cls.store_name)
        except KeyValueError as error:
            error.add_context(store=cls.store_name)
            raise
        return cls(options)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} default_collection={self.default_collection!r}>"

    # --- lifecycle ---------------------------------------------------------------

    async def setup(self) -> None:
        """Open the store now (it opens by itself on first use otherwise)."""
        if not self._ready:
            await self._setup_now()

    async def _setup_now(self) -> None:
        if self._setup_lock is None:
            import anyio

            self._setup_lock = anyio.Lock()
        async with self._setup_lock:
            if self._ready:
                return
            try:
                await self._open()
            except Exception as error:
                translated = self._as_kv_error(error, None, None)
                if isinstance(translated, StoreConnectionError | StoreTimeoutError):
                    raise translated from error
                if isinstance(translated, StoreSetupError):
                    raise translated from None if translated is error else error
                raise StoreSetupError(
                    f"Could not set up the store: {translated.message}", store=self.store_name
                ) from error
            self._ready_collections.clear()
            self._ready = True

    async def _ensure_collection(self, collection: str) -> None:
        if collection in self._ready_collections:
            return
        try:
            await self._setup_collection(collection)
        except Exception as error:
            translated = self._as_kv_error(error, collection, None)
            if isinstance(translated, StoreConnectionError | StoreTimeoutError | StoreSetupError):
                raise translated from None if translated is error else error
            raise StoreSetupError(
                f"Could not set up the collection: {translated.message}",
                store=self.store_name,
                collection=collection,
            ) from error
        self._ready_collections.add(collection)

    async def close(self) -> None:
        """Release the store's resources. Safe to call more than once.

        Clients passed in by the user are left open. A closed store can be
        used again: it reopens on the next call.
        """
        if not self._ready:
            return
        self._ready = False
        self._ready_collections.clear()
        try:
            await self._close()
        except Exception as error:
            raise self._as_kv_error(error, None, None) from error

    async def __aenter__(self) -> Self:
        await self.setup()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- hooks ---------------------------------------------------------------------

    async def _open(self) -> None:
        """Connect or open the backend (called once, lazily)."""

    async def _close(self) -> None:
        """Release what :meth:`_open` acquired; never close a user's client."""

    async def _setup_collection(self, collection: str) -> None:
        """Prepare a collection before its first use (e.g. create a table)."""

    def _forget_collection(self, collection: str | None = None) -> None:
        """Mark one collection (or all) as needing setup again."""
        if collection is None:
            self._ready_collections.clear()
        else:
            self._ready_collections.discard(collection)

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        raise NotImplementedError

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        """Store ``entry``. ``ttl`` is the validated TTL in seconds, for native expiry."""
        raise NotImplementedError

    async def _delete_entry(self, collection: str, key: str) -> bool:
        raise NotImplementedError

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        """Read several entries, in order. Override with a native bulk read."""
        return [await self._get_entry(collection, key) for key in keys]

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        """Write several entries (distinct keys: of duplicates, ``put_many`` passes the
        last). Override with a native bulk write."""
        for key, entry in zip(keys, entries):
            await self._put_entry(collection, key, entry, ttl)

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        """Delete several keys; count those that existed. Override with a native call."""
        deleted = 0
        for key in keys:
            if await self._delete_entry(collection, key):
                deleted += 1
        return deleted

    async def _after_write(self, now: float) -> None:
        """Called after every successful write when the store sweeps (see CullMixin)."""

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        """Map a backend client's exception to a kv error (``None``: not known).

        Plugins override this to turn their client's connection errors into
        :class:`StoreConnectionError`. Messages must not include secrets.
        """
        return None

    # --- error plumbing ------------------------------------------------------------

    def _as_kv_error(
        self, error: Exception, collection: str | None, key: str | None
    ) -> KeyValueError:
        if not isinstance(error, KeyValueError):
            translated = self._translate_error(error)
            if translated is None:
                if isinstance(error, TimeoutError):
                    translated = StoreTimeoutError(f"The backend timed out: {error}")
                elif isinstance(error, (ConnectionError, EOFError)):
                    translated = StoreConnectionError(f"Lost the connection: {error}")
                elif isinstance(error, OSError):
                    translated = StoreError(f"The backend failed: {error}")
                elif isinstance(error, NotImplementedError):
                    translated = UnsupportedOperationError(
                        f"The store does not implement this: {error}"
                    )
                else:
                    translated = StoreError(f"The backend raised {type(error).__name__}: {error}")
            error = translated
        error.add_context(store=self.store_name, collection=collection, key=key)
        return error

    def _raise(self, error: Exception, collection: str | None, key: str | None) -> NoReturn:
        translated = self._as_kv_error(error, collection, key)
        if translated is error:
            raise translated
        raise translated from error

    def _collection(self, collection: str | None) -> str:
        if collection is None:
            return self.default_collection
        return validate_collection(collection)

    async def _prepare(self, collection: str) -> None:
        if not self._ready:
            await self._setup_now()
        if self._has_collection_setup and collection not in self._ready_collections:
            await self._ensure_collection(collection)

    async def _walk(
        self, pages: AsyncIterator[Sequence[str]], collection: str | None
    ) -> AsyncGenerator[str, None]:
        """The names of ``pages``, one by one; a failing page becomes a kv error."""
        try:
            while True:
                try:
                    page = await pages.__anext__()
                except StopAsyncIteration:
                    break
                except Exception as error:
                    self._raise(error, collection, None)
                for name in page:
                    yield name
        finally:
            await _close_iterator(pages)

    async def _collect(
        self, pages: AsyncIterator[Sequence[str]], collection: str | None, limit: int | None
    ) -> list[str]:
        """The first ``limit`` names of ``pages`` (all when ``None``), a page at a time
        (no per-name step: ``keys()`` costs what its pages cost)."""
        found: list[str] = []
        try:
            while limit != 0:
                try:
                    page = await pages.__anext__()
                except StopAsyncIteration:
                    break
                except Exception as error:
                    self._raise(error, collection, None)
                found.extend(page)
                if limit is not None and len(found) >= limit:
                    del found[limit:]
                    break
        finally:
            await _close_iterator(pages)
        return found

    # --- the protocol --------------------------------------------------------------

    @typechecked
    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value stored under ``key``, or ``None`` if absent or expired."""
        try:
            collection = (
                self.default_collection if collection is None else self._collection(collection)
            )
            key = validate_key(key)
            if not self._ready or self._has_collection_setup:
                await self._prepare(collection)
            entry = await self._get_entry(collection, key)
            if entry is None:
                return None
            expires_at = entry.expires_at
            if expires_at is not None and expires_at <= _now():
                return None
            return entry.value()
        except Exception as error:
            self._raise(error, collection, key)

    @typechecked
    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining seconds)``; ``(None, None)`` if absent or expired."""
        try:
            collection = self._collection(collection)
            key = validate_key(key)
            await self._prepare(collection)
            entry = await self._get_entry(collection, key)
            return _value_and_ttl(entry, _now())
        except Exception as error:
            self._raise(error, collection, key)

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value`` under ``key``, replacing any earlier value and TTL."""
        try:
            collection = (
                self.default_collection if collection is None else self._collection(collection)
            )
            key = validate_key(key)
            seconds = None if ttl is None else validate_ttl(ttl)
            value_json = dump_value(value)
            self._check_size(value_json)
            if not self._ready or self._has_collection_setup:
                await self._prepare(collection)
            now = _now()
            entry = StoredEntry(value_json, now, None if seconds is None else now + seconds)
            await self._put_entry(collection, key, entry, seconds)
            if now >= self._next_sweep:
                await self._after_write(now)
        except Exception as error:
            self._raise(error, collection, key)

    @typechecked
    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Delete ``key``; return whether it existed."""
        try:
            collection = self._collection(collection)
            key = validate_key(key)
            await self._prepare(collection)
            return bool(await self._delete_entry(collection, key))
        except Exception as error:
            self._raise(error, collection, key)

    @typechecked
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        """Return the values of ``keys`` in input order, ``None`` where absent."""
        return [value for value, _ in await self._read_many(keys, collection)]

    @typechecked
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """Return ``(value, remaining seconds)`` for each key, in input order."""
        return await self._read_many(keys, collection)

    async def _read_many(
        self, keys: Sequence[str], collection: str | None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """``(value, remaining seconds)`` of each key, in input order: one bulk read."""
        key: str | None = None
        try:
            collection = self._collection(collection)
            keys = _validate_keys(keys)
            if not keys:
                return []
            await self._prepare(collection)
            entries = await self._get_entries(collection, keys)
            _check_result_length(entries, keys)
            now = _now()
            results = []
            handed_out: set[int] = set()
            for key, entry in zip(keys, entries):  # noqa: B007 - key names errors
                results.append(_value_and_ttl(entry, now, handed_out))
            return results
        except Exception as error:
            self._raise(error, collection, key)

    @typechecked
    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store each value under the key at the same position, with one TTL for all.

        Every key and value is checked before anything is written. Later
        duplicates of a key win.

        Raises:
            ArgumentValueError: ``keys`` and ``values`` differ in length (a
                ``ValueError``).
        """
        key: str | None = None
        try:
            collection = self._collection(collection)
            keys = _validate_keys(keys, values)
            seconds = None if ttl is None else validate_ttl(ttl)
            if not keys:
                return
            encoded: list[str] = []
            for key, value in zip(keys, values):  # noqa: B007 - key names errors
                value_json = dump_value(value)
                self._check_size(value_json)
                encoded.append(value_json)
            key = None
            await self._prepare(collection)
            now = _now()
            expires_at = None if seconds is None else now + seconds
            entries = [StoredEntry(value_json, now, expires_at) for value_json in encoded]
            if len(set(keys)) < len(keys):  # the later of duplicates wins: hooks get each once
                latest = dict(zip(keys, entries))
                keys, entries = list(latest), list(latest.values())
            await self._put_entries(collection, keys, entries, seconds)
            if now >= self._next_sweep:
                await self._after_write(now)
        except Exception as error:
            self._raise(error, collection, key)

    @typechecked
    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys``; return how many distinct keys existed."""
        try:
            collection = self._collection(collection)
            keys = _validate_keys(keys)
            if not keys:
                return 0
            await self._prepare(collection)
            return int(await self._delete_entries(collection, keys))
        except Exception as error:
            self._raise(error, collection, None)

    def _check_size(self, value_json: str) -> None:
        limit = self.capabilities.max_value_size
        if limit is not None and len(value_json) > limit:
            from kv.errors import EntryTooLargeError

            raise EntryTooLargeError(
                f"The value is {len(value_json)} bytes of JSON; this store takes at most {limit}",
                size=len(value_json),
                limit=limit,
            )


def _validate_keys(
    keys: Sequence[str], values: Sequence[Mapping[str, Any]] | None = None
) -> Sequence[str]:
    """Check the arguments of a bulk call (``values`` only for ``put_many``).

    A single ``str`` or ``bytes`` as ``keys`` (or ``values``) raises
    :class:`~kv.errors.ArgumentTypeError`; ``values`` of another length than
    ``keys`` raise :class:`~kv.errors.ArgumentValueError`, a ``ValueError``.
    """
    keys = validate_keys(keys)
    if values is not None:
        validate_values(values, len(keys))
    return keys


def _check_result_length(results: Sequence[object], keys: Sequence[str]) -> None:
    if len(results) != len(keys):
        raise StoreError(f"The backend returned {len(results)} results for {len(keys)} keys")


def _fresh_value(entry: StoredEntry, handed_out: set[int] | None) -> dict[str, Any]:
    """The entry's value; a copy when this same decoded dict was already handed out.

    A backend may return one decoded value (in one entry, or in several) for a
    key asked for twice; each result must still be a dict nobody else holds.
    Stores therefore need no copying of their own for repeated keys.
    """
    value = entry.value_object
    if value is None or handed_out is None:
        return entry.value()
    if id(value) in handed_out:
        return load_value(entry.json())
    handed_out.add(id(value))
    return value


def _value_and_ttl(
    entry: StoredEntry | None, now: float, handed_out: set[int] | None = None
) -> tuple[dict[str, Any] | None, float | None]:
    if entry is None:
        return None, None
    expires_at = entry.expires_at
    if expires_at is None:
        return _fresh_value(entry, handed_out), None
    if expires_at <= now:
        return None, None
    return _fresh_value(entry, handed_out), expires_at - now


async def _get_one_through_many(store: BaseStore, collection: str, key: str) -> StoredEntry | None:
    return (await store._get_entries(collection, [key]))[0]


async def _put_one_through_many(
    store: BaseStore, collection: str, key: str, entry: StoredEntry, ttl: float | None
) -> None:
    await store._put_entries(collection, [key], [entry], ttl)


async def _delete_one_through_many(store: BaseStore, collection: str, key: str) -> bool:
    return await store._delete_entries(collection, [key]) > 0


_BULK_FIRST = (
    ("_get_entry", "_get_entries", _get_one_through_many),
    ("_put_entry", "_put_entries", _put_one_through_many),
    ("_delete_entry", "_delete_entries", _delete_one_through_many),
)
"""Single-key hook, its bulk hook, and the single hook that calls the bulk one."""


# --- optional capabilities ---------------------------------------------------------


class EnumerateKeysMixin(BaseStore, abstract=True):
    """Adds ``keys()`` and ``iter_keys()``; the store writes ``_key_pages``."""

    @typechecked
    async def keys(self, collection: str | None = None, *, limit: int | None = None) -> list[str]:
        """Return the keys of ``collection``: every key when ``limit`` is ``None``.

        Entries that expired but were not yet reclaimed may be listed.
        """
        checked = check_limit(limit)
        try:
            name = self._collection(collection)
            await self._prepare(name)
        except Exception as error:
            self._raise(error, collection, None)
        size = _page_for(checked, self.listing_page_size)
        return await self._collect(self._key_pages(name, size), name, checked)

    async def iter_keys(
        self, collection: str | None = None, *, page_size: int | None = None
    ) -> AsyncGenerator[str, None]:
        """Walk every key of ``collection``, fetched ``page_size`` at a time."""
        size = _check_page_size(page_size)
        try:
            name = self._collection(collection)
            await self._prepare(name)
        except Exception as error:
            self._raise(error, collection, None)
        async for key in self._walk(self._key_pages(name, size), name):
            yield key

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        """Yield the keys of ``collection`` in pages of about ``page_size``.

        The default pages by key (keyset pagination) with :meth:`_key_page`;
        a store whose backend walks with a cursor (Redis ``SCAN``) overrides
        this instead.
        """
        after: str | None = None
        while True:
            page = await self._key_page(collection, after, page_size)
            if page:
                yield page
            if len(page) < page_size:
                return
            after = page[-1]

    async def _key_page(self, collection: str, after: str | None, limit: int) -> Sequence[str]:
        """Up to ``limit`` live keys of ``collection`` sorting after ``after``
        (``None``: from the first), in the store's order."""
        raise NotImplementedError


class EnumerateCollectionsMixin(BaseStore, abstract=True):
    """Adds ``collections()`` and ``iter_collections()``; the store writes
    ``_collection_pages``."""

    @typechecked
    async def collections(self, *, limit: int | None = None) -> list[str]:
        """Return the names of the collections that hold entries."""
        checked = check_limit(limit)
        try:
            if not self._ready:
                await self._setup_now()
        except Exception as error:
            self._raise(error, None, None)
        size = _page_for(checked, self.listing_page_size)
        return await self._collect(self._collection_pages(size), None, checked)

    async def iter_collections(self, *, page_size: int | None = None) -> AsyncGenerator[str, None]:
        """Walk every collection name, fetched ``page_size`` at a time."""
        size = _check_page_size(page_size)
        try:
            if not self._ready:
                await self._setup_now()
        except Exception as error:
            self._raise(error, None, None)
        async for name in self._walk(self._collection_pages(size), None):
            yield name

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        """Yield collection names in pages of about ``page_size``.

        The default pages by name with :meth:`_collection_page`; a store whose
        backend walks with a cursor overrides this instead.
        """
        after: str | None = None
        while True:
            page = await self._collection_page(after, page_size)
            if page:
                yield page
            if len(page) < page_size:
                return
            after = page[-1]

    async def _collection_page(self, after: str | None, limit: int) -> Sequence[str]:
        """Up to ``limit`` names of collections holding live entries, sorting after
        ``after`` (``None``: from the first), in the store's order."""
        raise NotImplementedError


async def _close_iterator(iterator: AsyncIterator[object]) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()


class DestroyMixin(BaseStore, abstract=True):
    """Adds ``destroy()``; the store writes ``_destroy``."""

    @typechecked
    async def destroy(self) -> bool:
        """Delete every entry this store holds (never anything else on the backend)."""
        try:
            if not self._ready:
                await self._setup_now()
            result = await self._destroy()
            self._forget_collection()
            return bool(result)
        except Exception as error:
            self._raise(error, None, None)

    async def _destroy(self) -> bool:
        raise NotImplementedError


class DestroyCollectionMixin(BaseStore, abstract=True):
    """Adds ``destroy_collection()``; the store writes ``_destroy_collection``."""

    @typechecked
    async def destroy_collection(self, collection: str) -> bool:
        """Delete every entry of ``collection``; return whether it held any.

        The collection can be written again afterwards.
        """
        try:
            collection = validate_collection(collection)
            if not self._ready:
                await self._setup_now()
            result = await self._destroy_collection(collection)
            self._forget_collection(collection)
            return bool(result)
        except Exception as error:
            self._raise(error, collection, None)

    async def _destroy_collection(self, collection: str) -> bool:
        raise NotImplementedError


class CullMixin(BaseStore, abstract=True):
    """Adds ``cull()`` and a bounded sweep; the store writes ``_cull``.

    Besides explicit ``cull()`` calls, a store with this mixin reclaims expired
    entries while it is in use: after a write, once every ``sweep_interval``
    seconds, it removes at most ``sweep_limit`` expired entries, inline and
    bounded, so a long-running process does not grow without bound. A sweep
    that fails is logged and never fails the write. Set ``sweep_interval`` to
    ``None`` to sweep only on ``cull()``.
    """

    sweep_interval: float | None = 60.0
    """Seconds between sweeps during writes (``None``: never sweep by itself)."""
    sweep_limit: int = 500
    """Most expired entries one sweep removes."""
    _next_sweep: float = 0.0

    def configure_sweep(self, *, interval: float | None, limit: int | None = None) -> None:
        """Set how often writes sweep expired entries, and how many at most.

        Raises:
            InvalidOptionError: ``interval`` is not ``None`` or > 0, or ``limit`` < 1.
        """
        if interval is not None and not interval > 0:
            raise InvalidOptionError(
                f"sweep_interval must be None or > 0 seconds, not {interval!r}",
                store=self.store_name,
            )
        if limit is not None and limit < 1:
            raise InvalidOptionError(
                f"sweep_limit must be >= 1, not {limit!r}", store=self.store_name
            )
        self.sweep_interval = interval
        if limit is not None:
            self.sweep_limit = limit
        self._next_sweep = 0.0 if interval is not None else float("inf")

    async def _after_write(self, now: float) -> None:
        interval = self.sweep_interval
        if interval is None or now < self._next_sweep:
            return
        self._next_sweep = now + interval
        try:
            await self._cull(now, self.sweep_limit)
        except Exception as error:  # a sweep must never fail the write
            import logging

            logging.getLogger("kv.sweep").warning(
                "Sweep of expired entries failed in %s: %s", self.store_name, error
            )

    @typechecked
    async def cull(self) -> int:
        """Remove expired entries now; return how many were removed."""
        try:
            if not self._ready:
                await self._setup_now()
            return int(await self._cull(_now(), None))
        except Exception as error:
            self._raise(error, None, None)

    async def _cull(self, now: float, limit: int | None) -> int:
        """Remove entries that expired at or before ``now``; return the count.

        ``limit`` bounds how many one call removes (``None``: all of them).
        """
        raise NotImplementedError


class AtomicMixin(BaseStore, abstract=True):
    """Adds the atomic operations (:mod:`kv.atomic`); the store writes four hooks.

    Each hook is one atomic step of the backend (a conditional statement, a
    script, a transaction, or a section no other writer can enter), never a
    read followed by a separate write. The base validates the arguments,
    builds the entry (``entry.created_at`` is "now") and hides expired
    entries; a hook treats an entry whose ``expires_at`` is at or before
    ``entry.created_at`` as absent. Versions are the store's own opaque
    strings and must change whenever the stored entry changes, by any write.
    """

    @typechecked
    async def put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> bool:
        """Store ``value`` only if ``key`` has no live entry (an expired one counts as
        absent); return whether it wrote."""
        try:
            collection, key, entry, seconds = await self._conditional_write(
                key, value, collection, ttl
            )
            return bool(await self._put_entry_if_absent(collection, key, entry, seconds))
        except Exception as error:
            self._raise(error, collection, key)

    @typechecked
    async def get_versioned(self, key: str, *, collection: str | None = None) -> Versioned | None:
        """Return the value, remaining TTL and version of ``key``; ``None`` if absent or expired."""
        try:
            collection = self._collection(collection)
            key = validate_key(key)
            await self._prepare(collection)
            found = await self._get_versioned_entry(collection, key)
            if found is None:
                return None
            entry, version = found
            value, remaining = _value_and_ttl(entry, _now())
            if value is None:
                return None
            return Versioned(value, remaining, version)
        except Exception as error:
            self._raise(error, collection, key)

    @typechecked
    async def put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> bool:
        """Store ``value`` only if ``key``'s live entry still has ``version``; return
        whether it wrote."""
        try:
            collection, key, entry, seconds = await self._conditional_write(
                key, value, collection, ttl
            )
            return bool(await self._put_entry_if_version(collection, key, entry, seconds, version))
        except Exception as error:
            self._raise(error, collection, key)

    @typechecked
    async def delete_if_version(
        self, key: str, version: str, *, collection: str | None = None
    ) -> bool:
        """Delete ``key`` only if its live entry still has ``version``; return whether it did."""
        try:
            collection = self._collection(collection)
            key = validate_key(key)
            await self._prepare(collection)
            return bool(await self._delete_entry_if_version(collection, key, version, _now()))
        except Exception as error:
            self._raise(error, collection, key)

    async def _conditional_write(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> tuple[str, str, StoredEntry, float | None]:
        collection = self._collection(collection)
        key = validate_key(key)
        seconds = None if ttl is None else validate_ttl(ttl)
        value_json = dump_value(value)
        self._check_size(value_json)
        await self._prepare(collection)
        now = _now()
        return (
            collection,
            key,
            StoredEntry(value_json, now, None if seconds is None else now + seconds),
            seconds,
        )

    # --- the hooks ---------------------------------------------------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        """Write ``entry`` unless a live entry exists; return whether it wrote."""
        raise NotImplementedError

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        """The entry (expired or not: the base checks) and its version, or ``None``."""
        raise NotImplementedError

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        """Write ``entry`` if the live entry has ``version``; return whether it wrote."""
        raise NotImplementedError

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        """Delete the entry if it is live at ``now`` and has ``version``; return
        whether it deleted."""
        raise NotImplementedError


class TokenVersionMixin(AtomicMixin, abstract=True):
    """The atomic hooks of a backend that tags each entry with its own token (an ETag,
    a sequence number, a revision) and writes or deletes on condition of it.

    The store writes three token hooks instead of the three version hooks; a
    version is the token plus the entry's expiry (:func:`kv.atomic.expiring_version`),
    so a conditional write refuses an expired entry without reading it again.
    ``_put_entry_if_absent`` stays the store's own.
    """

    async def _get_entry_and_token(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        """The entry (expired or not) and the backend's token for it, or ``None``."""
        raise NotImplementedError

    async def _put_entry_if_token(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, token: str
    ) -> bool:
        """Write ``entry`` if the stored entry still has ``token``; return whether it wrote."""
        raise NotImplementedError

    async def _delete_entry_if_token(self, collection: str, key: str, token: str) -> bool:
        """Delete the entry if it still has ``token``; return whether it deleted."""
        raise NotImplementedError

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        found = await self._get_entry_and_token(collection, key)
        if found is None:
            return None
        entry, token = found
        return entry, expiring_version(token, entry.expires_at)

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        token = live_token(version, entry.created_at or _now())
        if token is None:
            return False  # not a version of this store, or its entry has expired
        return await self._put_entry_if_token(collection, key, entry, ttl, token)

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        token = live_token(version, now)
        if token is None:
            return False
        return await self._delete_entry_if_token(collection, key, token)


class FullStore(
    EnumerateKeysMixin,
    EnumerateCollectionsMixin,
    DestroyMixin,
    DestroyCollectionMixin,
    CullMixin,
    BaseStore,
    abstract=True,
):
    """A base with every optional operation: the store writes the hooks of all five
    mixins and declares ``Capabilities.every_operation(...)``."""
