"""``rocksdb://``: a kv store in a RocksDB database directory, through rocksdict.

Layout (the same as py-key-value's ``RocksDBStore``, so either library reads
what the other wrote): one RocksDB key per entry, the text
:func:`kv.names.compound_key` makes (``"collection::key"`` for collections
without ``:`` or ``%``), holding the entry's JSON document
(:func:`kv.entry.encode_document`) as UTF-8 bytes. Both are written in
rocksdict's default encoding, as py-key-value writes them: a one-byte type
tag (``0x02`` for the text key, ``0x01`` for the bytes value) before the data,
in a database whose comparator rocksdict names ``rocksdict``.

rocksdict's default mode would unpickle values tagged as Python objects; this
store replaces its ``loads`` with one that refuses, so a tampered value is a
:class:`~kv.errors.DeserializationError` and pickle never runs.

RocksDB lets one process at a time open a database for writing (it locks the
``LOCK`` file). The store opens the database on first use and keeps it until
``close()``; another process, or another store object in this process, that
opens the same path meanwhile retries for ``lock_timeout`` seconds and then
fails with :class:`~kv.errors.StoreTimeoutError` naming the lock. Nothing it
wrote is lost, because nothing was written. Before opening RocksDB a kv
process takes kv's own lock, ``kv.lock`` in the directory
(:mod:`kv.dirlock`), and holds it until closed: a waiting kv process
never calls rocksdict meanwhile (a failed rocksdict open rewrites
``rocksdict-config.json`` even while another process holds the database).

URL forms::

    rocksdb:///absolute/path/to/dir
    rocksdb://relative/dir            (relative to the working directory)
    rocksdb:///srv/kv?lock_timeout=30&sync=true&default_collection=app
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from rocksdict import DbClosedError, Options, Rdict, RdictIter, WriteBatch, WriteOptions

from kv import dirlock, errors
from kv.atomic import content_version
from kv.blocking import BlockingCalls, Engine
from kv.dirlock import DirectoryBusyError, open_when_unlocked
from kv.entry import StoredEntry, decode_document, encode_document, parse_timestamp
from kv.names import compound_key, compound_prefix, split_compound_key
from kv.store import AtomicMixin, FullStore
from kv_rocksdb.plugin import PLUGIN, ROCKSDB_CAPABILITIES, RocksDBOptions

__all__ = ["ROCKSDB_CAPABILITIES", "RocksDBOptions", "RocksDBStore"]

_BATCH = 10_000
"""Most deletes one write batch of ``destroy``/``cull`` holds."""

_SWEEP_SCAN_FACTOR = 20
"""A bounded sweep reads at most this many entries per entry it may remove."""

_COLLECTION_END = ":;"
"""Appended to an escaped collection, the first text after all its keys."""

_LOCK_MESSAGES = ("Resource temporarily unavailable", "lock hold by current process")


class _PickleRefusedError(Exception):
    """Raised by the ``loads`` given to rocksdict: stored Python objects are never loaded."""


def _refuse_loads(_data: bytes) -> Any:
    raise _PickleRefusedError("refused to unpickle a stored Python object")


def _refuse_dumps(_value: Any) -> bytes:
    raise _PickleRefusedError("refused to pickle a Python object")


_INLINE_KEYS = 64
"""Bulk calls of up to this many keys may run inline (see :mod:`kv.blocking`)."""


class RocksDBStore(AtomicMixin, FullStore, plugin=PLUGIN):
    """A kv store in one RocksDB database directory.

    Nothing is opened until the first call (or :meth:`setup`); the directory
    is created then if missing. Every rocksdict call runs in a worker thread,
    one at a time.

    Options (keywords, or a :class:`~kv_rocksdb.plugin.RocksDBOptions`):
    ``path`` (the first positional argument), ``lock_timeout``, ``sync``,
    ``default_collection`` and the sweep options.

    Raises:
        InvalidOptionError: an empty path, a bad ``lock_timeout`` or ``sync``,
            or an invalid default collection.
    """

    listing_page_size = 100_000  # one hop to the thread for a whole listing

    options: RocksDBOptions

    def __init__(
        self, options: RocksDBOptions | str | os.PathLike[str] | None = None, /, **keywords: object
    ) -> None:
        super().__init__(options, **keywords)
        calls = BlockingCalls(max_threads=1, inline_budget=self.options.inline_budget)
        self._engine = Engine[Rdict](calls, closed="The RocksDB database is closed")
        self._sweep_from: str = ""

    def __repr__(self) -> str:
        return f"<RocksDBStore path={self.options.path!r}>"

    @property
    def _db(self) -> Rdict | None:
        """The open database, else ``None``."""
        return self._engine.handle

    # --- lifecycle ---------------------------------------------------------------

    async def _open(self) -> None:
        self._engine.handle = await open_when_unlocked(
            lambda: self._engine.finish(self._connect),
            is_locked=lambda error: isinstance(error, DirectoryBusyError) or _is_lock_error(error),
            lock_timeout=self.options.lock_timeout,
            locked_error=self._locked_error,
        )

    def _locked_error(self, error: Exception) -> errors.StoreTimeoutError:
        holder = (
            "another store object in this process"
            if "current process" in str(error)
            else "another process"
        )
        return dirlock.locked_error(
            f"The RocksDB database {self.options.path!r}",
            self.options.lock_timeout,
            rule="RocksDB lets one process open it at a time",
            holder=holder,
        )

    def _connect(self) -> Rdict:
        """Take kv's lock on the directory, then open RocksDB (in a worker thread).

        Raises:
            DirectoryBusyError: another kv process has the directory.
        """
        Path(self.options.path).mkdir(parents=True, exist_ok=True)
        db, self._engine.lock_token = dirlock.open_locked(
            self._open_db, prepare=self._prepare_db, close=_close_db, directory=self.options.path
        )
        return db

    def _open_db(self) -> Rdict:
        _refuse_raw_mode(Path(self.options.path))
        options = Options()
        options.create_if_missing(True)
        options.set_keep_log_file_num(5)
        return Rdict(self.options.path, options=options)

    def _prepare_db(self, db: Rdict) -> None:
        """Refuse pickle both ways; sync the write-ahead log if asked."""
        db.set_loads(_refuse_loads)
        db.set_dumps(_refuse_dumps)
        if self.options.sync:
            write_options = WriteOptions()
            write_options.sync = True
            db.set_write_options(write_options)

    async def _close(self) -> None:
        await dirlock.close_engine(self._engine, _close_db)

    # --- entries -----------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        ckey = compound_key(collection, key)
        stored = await self._engine.run(lambda db: db.get(ckey), inline=True)
        return None if stored is None else _decode(stored, key)

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        unique = list(dict.fromkeys(keys))
        ckeys: list[str | int | float | bytes | bool] = [
            compound_key(collection, key) for key in unique
        ]

        def read(db: Rdict) -> list[Any]:
            try:
                found = db.get(ckeys)  # one multi-get
            except _PickleRefusedError:
                found = None
            if not isinstance(found, list):  # a refused value: read one by one to name it
                found = [_get_one(db, key, compound_key(collection, key)) for key in unique]
            return found

        stored = dict(zip(unique, await self._engine.run(read, inline=len(unique) <= _INLINE_KEYS)))
        # Decoded per position: a duplicate key gets its own fresh value.
        return [None if stored[key] is None else _decode(stored[key], key) for key in keys]

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        ckey = compound_key(collection, key)
        document = encode_document(entry, collection=collection, key=key).encode()
        # Without sync a write goes to the memtable and the WAL's OS buffer: no wait.
        await self._engine.run(lambda db: db.put(ckey, document), inline=not self.options.sync)

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        batch = WriteBatch()
        for key, entry in zip(keys, entries):  # in order: later duplicates win
            document = encode_document(entry, collection=collection, key=key).encode()
            batch.put(compound_key(collection, key), document)
        await self._engine.run(lambda db: db.write(batch))  # one atomic write

    # --- atomic operations: one engine call each. This process alone has the
    # database open (kv's lock and RocksDB's own), and every call of the store
    # runs in its one engine thread, so no other writer can come between a
    # call's check and its write. The version is a hash of the stored document.

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        ckey = compound_key(collection, key)
        document = encode_document(entry, collection=collection, key=key).encode()
        now = entry.created_at or time.time()

        def claim(db: Rdict) -> bool:
            stored = _get_one(db, key, ckey)
            if stored is not None and not _is_expired(stored, now):
                return False
            db.put(ckey, document)
            return True

        return await self._engine.run(claim, inline=not self.options.sync)

    async def _get_versioned_entry(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        ckey = compound_key(collection, key)
        stored = await self._engine.run(lambda db: _get_one(db, key, ckey), inline=True)
        if stored is None:
            return None
        return _decode(stored, key), content_version(stored)

    async def _put_entry_if_version(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, version: str
    ) -> bool:
        ckey = compound_key(collection, key)
        document = encode_document(entry, collection=collection, key=key).encode()
        now = entry.created_at or time.time()

        def swap(db: Rdict) -> bool:
            if not _has_version(_get_one(db, key, ckey), version, now):
                return False
            db.put(ckey, document)
            return True

        return await self._engine.run(swap, inline=not self.options.sync)

    async def _delete_entry_if_version(
        self, collection: str, key: str, version: str, now: float
    ) -> bool:
        ckey = compound_key(collection, key)

        def delete(db: Rdict) -> bool:
            if not _has_version(_get_one(db, key, ckey), version, now):
                return False
            db.delete(ckey)
            return True

        return await self._engine.run(delete, inline=not self.options.sync)

    async def _delete_entry(self, collection: str, key: str) -> bool:
        ckey = compound_key(collection, key)
        now = time.time()

        def delete(db: Rdict) -> bool:
            # One read (was a live entry there?) and one plain delete: no batch.
            try:
                stored = db.get(ckey)
            except _PickleRefusedError:
                stored = b""  # present but unreadable: it existed
            if stored is None:
                return False
            db.delete(ckey)
            return not _is_expired(stored, now)

        return await self._engine.run(delete, inline=not self.options.sync)

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        ckeys = [compound_key(collection, key) for key in dict.fromkeys(keys)]
        now = time.time()

        def delete(db: Rdict) -> int:
            batch = WriteBatch()
            live = 0
            for ckey in ckeys:
                try:
                    stored = db.get(ckey)
                except _PickleRefusedError:
                    stored = b""  # present but unreadable: it existed
                if stored is None:
                    continue
                batch.delete(ckey)
                if not _is_expired(stored, now):
                    live += 1
            if not batch.is_empty():
                db.write(batch)  # one atomic write
            return live

        small = len(ckeys) <= _INLINE_KEYS and not self.options.sync
        return await self._engine.run(delete, inline=small)

    # --- enumeration -------------------------------------------------------------

    async def _key_page(self, collection: str, after: str | None, limit: int) -> Sequence[str]:
        # Keyset pagination over the collection's prefix, in key order: each
        # page seeks to just after the last key of the one before.
        return await self._engine.run(partial(_key_page, compound_prefix(collection), after, limit))

    async def _collection_page(self, after: str | None, limit: int) -> Sequence[str]:
        escaped = None if after is None else compound_prefix(after)[: -len("::")]
        return await self._engine.run(partial(_collection_page, escaped, limit))

    # --- destroy and cull --------------------------------------------------------

    async def _destroy(self) -> bool:
        def destroy(db: Rdict) -> int:
            deleted = 0
            while True:
                iterator = db.iter()
                iterator.seek("")
                batch = WriteBatch()
                for ckey, _ in _walk(iterator):
                    batch.delete(ckey)
                    if len(batch) >= _BATCH:
                        break
                if batch.is_empty():
                    return deleted
                deleted += len(batch)
                db.write(batch)

        return await self._engine.run(destroy) > 0

    async def _destroy_collection(self, collection: str) -> bool:
        prefix = compound_prefix(collection)
        end = prefix[:-2] + _COLLECTION_END

        def destroy(db: Rdict) -> bool:
            iterator = db.iter()
            iterator.seek(prefix)
            current = _current(iterator)
            if current is None or not current[0].startswith(prefix):
                return False
            db.delete_range(prefix, end)  # one range tombstone
            return True

        return await self._engine.run(destroy)

    async def _cull(self, now: float, limit: int | None) -> int:
        # A full cull walks every entry. A bounded sweep (limit set) reads at
        # most limit * 20 entries, starting where the last sweep stopped, so
        # each sweep costs little however large the database is.
        start = "" if limit is None else self._sweep_from
        budget = None if limit is None else limit * _SWEEP_SCAN_FACTOR

        def cull(db: Rdict) -> tuple[int, str]:
            removed = 0
            iterator = db.iter()
            iterator.seek(start)
            batch = WriteBatch()
            resume = ""
            for scanned, (ckey, stored) in enumerate(_walk(iterator)):
                if budget is not None and scanned >= budget:
                    resume = ckey
                    break
                if "::" in ckey and _is_expired(stored, now):
                    batch.delete(ckey)
                    removed += 1
                    if len(batch) >= _BATCH:
                        db.write(batch)
                        batch = WriteBatch()
                    if limit is not None and removed >= limit:
                        iterator.next()
                        following = _current(iterator)
                        resume = "" if following is None else following[0]
                        break
            if not batch.is_empty():
                db.write(batch)
            return removed, resume

        removed, resume = await self._engine.run(cull)
        if limit is not None:
            self._sweep_from = resume
        return removed

    # --- errors --------------------------------------------------------------------

    def _translate_error(self, error: Exception) -> errors.KeyValueError | None:
        """Map rocksdict's exceptions to kv errors (``None``: let the base decide)."""
        if isinstance(error, DbClosedError):
            return errors.StoreConnectionError("The RocksDB database was closed during the call")
        if isinstance(error, _PickleRefusedError):
            return errors.DeserializationError(
                "Stored value is a pickled Python object (rocksdict's object encoding);"
                " kv never unpickles stored data"
            )
        if type(error) is not Exception:
            return None
        message = str(error)
        if _is_lock_error(error):
            return self._locked_error(error)
        if message.startswith("Corruption"):
            return errors.StoreError(
                f"The RocksDB database {self.options.path!r} is damaged: {message}"
            )
        if "comparator" in message or "raw mode" in message:
            return errors.StoreSetupError(
                f"{self.options.path!r} is not a RocksDB database in rocksdict's default encoding"
                f" (the one kv and py-key-value use): {message}"
            )
        if message.startswith("IO error") or "os error" in message:
            return errors.StoreError(f"RocksDB I/O error on {self.options.path!r}: {message}")
        return errors.StoreError(f"RocksDB failed on {self.options.path!r}: {message}")


# --- helpers -----------------------------------------------------------------------


def _refuse_raw_mode(directory: Path) -> None:
    """Refuse a database rocksdict created in raw mode (other key order and encoding)."""
    config = directory / "rocksdict-config.json"
    try:
        text = config.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    try:
        raw_mode = json.loads(text).get("raw_mode") is True
    except (ValueError, AttributeError):
        raise errors.StoreSetupError(f"{config} is not valid JSON") from None
    if raw_mode:
        raise errors.StoreSetupError(
            f"The RocksDB database {str(directory)!r} was created in rocksdict's raw mode;"
            " kv-rocksdb reads rocksdict's default encoding (the one py-key-value writes)"
        )


def _close_db(db: Rdict) -> None:
    db.close()


def _is_lock_error(error: Exception) -> bool:
    message = str(error)
    return type(error) is Exception and any(part in message for part in _LOCK_MESSAGES)


def _key_page(prefix: str, after: str | None, limit: int, db: Rdict) -> list[str]:
    """Up to ``limit`` live keys (without the prefix) after ``after``.

    rocksdict's ``items()`` walks in Rust, a quarter faster than stepping an
    iterator from Python; a pickled key or value on the way (which it cannot
    decode without unpickling) sends the page to the careful walk.
    """
    now = time.time()
    cut = len(prefix)
    names: list[str] = []
    try:
        for ckey, stored in db.items(from_key=prefix if after is None else prefix + after):
            if type(ckey) is not str or not ckey.startswith(prefix):
                break
            name = ckey[cut:]
            if name == after:
                continue
            if type(stored) is bytes and b'"expires_at"' not in stored and b"\\" not in stored:
                names.append(name)  # no expiry written: live (see _is_expired)
            elif not _is_expired(stored, now):
                names.append(name)
            if len(names) >= limit:
                break
    except _PickleRefusedError:
        return _key_page_stepwise(prefix, after, limit, db)
    return names


def _key_page_stepwise(prefix: str, after: str | None, limit: int, db: Rdict) -> list[str]:
    """:func:`_key_page`, stepping an iterator, which reads past pickled keys and values."""
    now = time.time()
    names: list[str] = []
    iterator = db.iter()
    iterator.seek(prefix if after is None else prefix + after)
    for ckey, stored in _walk(iterator):
        if not ckey.startswith(prefix):
            break
        name = ckey[len(prefix) :]
        if name != after and not _is_expired(stored, now):
            names.append(name)
            if len(names) >= limit:
                break
    return names


def _collection_page(after: str | None, limit: int, db: Rdict) -> list[str]:
    """Up to ``limit`` names of collections with a live entry, after the escaped ``after``.

    A skip scan: once a collection is decided, the iterator seeks past all of
    its keys (its escaped name followed by ``":;"``).
    """
    now = time.time()
    found: list[str] = []
    iterator = db.iter()
    iterator.seek("" if after is None else after + _COLLECTION_END)
    while len(found) < limit:
        current = _current(iterator)
        if current is None:
            break
        escaped, separator, _ = current[0].partition("::")
        if not separator:  # not a compound key: not ours
            iterator.next()
            continue
        if _has_live_entry(iterator, escaped + "::", now):
            found.append(split_compound_key(escaped + "::")[0])
        iterator.seek(escaped + _COLLECTION_END)
    return found


def _get_one(db: Rdict, key: str, ckey: str) -> Any:
    try:
        return db.get(ckey)
    except _PickleRefusedError:
        raise _pickled(key) from None


def _current(iterator: RdictIter) -> tuple[str, Any] | None:
    """The iterator's text key and value, or ``None`` past the last text key."""
    if not iterator.valid():
        return None
    try:
        key = iterator.key()
    except _PickleRefusedError:  # a pickled key sorts after every text key
        return None
    if not isinstance(key, str):
        return None
    try:
        return key, iterator.value()
    except _PickleRefusedError:
        return key, b""


def _walk(iterator: RdictIter) -> Iterator[tuple[str, Any]]:
    """Yield ``(key, stored value)`` from the iterator's position over text keys."""
    while True:
        current = _current(iterator)
        if current is None:
            return
        yield current
        iterator.next()


def _has_live_entry(iterator: RdictIter, prefix: str, now: float) -> bool:
    for ckey, stored in _walk(iterator):
        if not ckey.startswith(prefix):
            return False
        if not _is_expired(stored, now):
            return True
    return False


def _has_version(stored: object, version: str, now: float) -> bool:
    """Whether a stored document is live at ``now`` and has ``version``."""
    return (
        stored is not None and not _is_expired(stored, now) and content_version(stored) == version
    )


def _decode(stored: object, key: str) -> StoredEntry:
    if isinstance(stored, (bytes, str)):
        return decode_document(stored)
    raise errors.DeserializationError(
        f"Stored value is a rocksdict {type(stored).__name__}, not a JSON document", key=key
    )


def _pickled(key: str) -> errors.DeserializationError:
    return errors.DeserializationError(
        "Stored value is a pickled Python object (rocksdict's object encoding);"
        " kv never unpickles stored data",
        key=key,
    )


def _is_expired(stored: object, now: float) -> bool:
    """Whether a stored document has expired; unreadable documents never do."""
    if not isinstance(stored, (bytes, str)):
        return False
    if isinstance(stored, str):
        if '"expires_at"' not in stored and "\\" not in stored:
            return False  # no expiry written (and no escape that could spell one): not parsed
    elif b'"expires_at"' not in stored and b"\\" not in stored:
        return False
    try:
        document = json.loads(stored)
        expires = document.get("expires_at") if type(document) is dict else None
        return expires is not None and parse_timestamp(expires) <= now
    except (ValueError, errors.KeyValueError, RecursionError):
        return False
