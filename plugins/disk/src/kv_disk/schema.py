"""The diskcache file format, as kv reads and writes it (never through diskcache).

A diskcache directory holds one SQLite database, ``cache.db``, whose ``Cache``
table has one row per entry::

    CREATE TABLE Cache (
        rowid INTEGER PRIMARY KEY, key BLOB, raw INTEGER, store_time REAL,
        expire_time REAL, access_time REAL, access_count INTEGER DEFAULT 0,
        tag BLOB, size INTEGER DEFAULT 0, mode INTEGER DEFAULT 0,
        filename TEXT, value BLOB)

``raw`` is 1 when the key is stored as itself (text, bytes or a number) and 0
when diskcache pickled it. ``mode`` says how the value is stored: 1 (raw: the
value column holds text, bytes or a number), 2 (bytes in a file), 3 (text in
a file named by ``filename``, relative to the directory), 4 (a pickle, in the
value column or a file). kv writes only raw keys and raw text values (mode 1)
and reads only modes 1 and 3: a pickle is never loaded, whatever the file
says. Triggers keep the ``count`` and ``size`` rows of the ``Settings`` table
up to date, as diskcache expects.

Every statement here is what diskcache itself would create or run, so
diskcache and py-key-value's ``DiskStore`` keep working on a directory kv
wrote, and kv reads a directory they wrote.
"""

from __future__ import annotations

import re

__all__ = [
    "CACHE_FILE",
    "DEFAULT_SETTINGS",
    "METADATA",
    "MODE_BINARY",
    "MODE_NONE",
    "MODE_PICKLE",
    "MODE_RAW",
    "MODE_TEXT",
    "SCHEMA",
    "STORE_TIME_INDEX",
    "VALUE_FILE_NAME",
]

CACHE_FILE = "cache.db"
"""The database file diskcache keeps in its directory."""

MODE_NONE = 0
MODE_RAW = 1
MODE_BINARY = 2
MODE_TEXT = 3
MODE_PICKLE = 4

DEFAULT_SETTINGS: dict[str, object] = {
    "statistics": 0,
    "tag_index": 0,
    "eviction_policy": "none",
    "size_limit": 2**30,
    "cull_limit": 10,
    "sqlite_auto_vacuum": 1,
    "sqlite_cache_size": 2**13,
    "sqlite_journal_mode": "wal",
    "sqlite_mmap_size": 2**26,
    "sqlite_synchronous": 1,
    "disk_min_file_size": 2**15,
    "disk_pickle_protocol": 5,
}
"""Settings written into a new cache, as py-key-value's DiskStore writes them
(``eviction_policy`` ``none`` unless kv is given ``max_size``)."""

METADATA: dict[str, int] = {"count": 0, "size": 0, "hits": 0, "misses": 0}
"""Counters diskcache keeps in ``Settings`` (``count`` and ``size`` by trigger)."""

SCHEMA: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS Settings ( key TEXT NOT NULL UNIQUE, value)",
    "CREATE TABLE IF NOT EXISTS Cache ("
    " rowid INTEGER PRIMARY KEY, key BLOB, raw INTEGER, store_time REAL,"
    " expire_time REAL, access_time REAL, access_count INTEGER DEFAULT 0,"
    " tag BLOB, size INTEGER DEFAULT 0, mode INTEGER DEFAULT 0,"
    " filename TEXT, value BLOB)",
    "CREATE UNIQUE INDEX IF NOT EXISTS Cache_key_raw ON Cache(key, raw)",
    "CREATE INDEX IF NOT EXISTS Cache_expire_time ON Cache (expire_time)",
    "CREATE TRIGGER IF NOT EXISTS Settings_count_insert AFTER INSERT ON Cache"
    " FOR EACH ROW BEGIN UPDATE Settings SET value = value + 1 WHERE key = 'count'; END",
    "CREATE TRIGGER IF NOT EXISTS Settings_count_delete AFTER DELETE ON Cache"
    " FOR EACH ROW BEGIN UPDATE Settings SET value = value - 1 WHERE key = 'count'; END",
    "CREATE TRIGGER IF NOT EXISTS Settings_size_insert AFTER INSERT ON Cache"
    " FOR EACH ROW BEGIN UPDATE Settings SET value = value + NEW.size WHERE key = 'size'; END",
    "CREATE TRIGGER IF NOT EXISTS Settings_size_update AFTER UPDATE ON Cache"
    " FOR EACH ROW BEGIN UPDATE Settings SET value = value + NEW.size - OLD.size"
    " WHERE key = 'size'; END",
    "CREATE TRIGGER IF NOT EXISTS Settings_size_delete AFTER DELETE ON Cache"
    " FOR EACH ROW BEGIN UPDATE Settings SET value = value - OLD.size WHERE key = 'size'; END",
)
"""The tables, indexes and triggers of a diskcache database (``IF NOT EXISTS``)."""

STORE_TIME_INDEX = "CREATE INDEX IF NOT EXISTS Cache_store_time ON Cache (store_time)"
"""The index diskcache's ``least-recently-stored`` eviction uses."""

VALUE_FILE_NAME = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{28}\.val")
"""The only value file names diskcache creates (two hex folders, then the file)."""
