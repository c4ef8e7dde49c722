"""The SQL of one store: its table, quoted, and every statement.

Only identifiers validated by the options (:func:`kv.checks.sql_identifier`),
always double-quoted, and ``$n`` placeholders are put into SQL text; every
key, collection, value and time is a bound parameter.
Times travel as seconds since the epoch (``to_timestamp`` / ``date_part``), so
no ``datetime`` is built on either side.

The table has py-key-value's PostgreSQLStore layout::

    CREATE TABLE "kv_store" (
        collection TEXT NOT NULL, key TEXT NOT NULL, value JSON NOT NULL,
        ttl DOUBLE PRECISION, created_at TIMESTAMPTZ, expires_at TIMESTAMPTZ,
        PRIMARY KEY (collection, key))
    CREATE INDEX "idx_kv_store_expires_at" ON "kv_store" (expires_at)
        WHERE expires_at IS NOT NULL

except that ``value`` is ``JSON`` rather than ``JSONB`` when kv creates the
table: ``JSON`` keeps the text exactly (``JSONB`` rejects ``\\u0000`` in
strings and rewrites numbers such as ``1.7e308``), and is faster to write and
read back. A table created by py-key-value (``JSONB``) is used as it is.
"""

# S608: only validated, double-quoted identifiers are spliced into SQL text; every value
# is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import hashlib

__all__ = [
    "COLUMNS_QUERY",
    "MAX_IDENTIFIER",
    "REQUIRED_COLUMNS",
    "VALUE_TYPES",
    "Statements",
    "create_statements",
    "index_name",
    "qualified_name",
    "quote",
]

MAX_IDENTIFIER = 63
"""PostgreSQL's identifier length limit, in bytes."""

VALUE_TYPES = ("json", "jsonb", "text")
"""Types of the ``value`` column this store reads and writes."""


def quote(name: str) -> str:
    """A double-quoted identifier (``name`` is validated, so it holds no quote)."""
    return f'"{name}"'


def qualified_name(schema: str | None, table: str) -> str:
    """The quoted ``schema.table`` (just ``table`` without a schema)."""
    return quote(table) if schema is None else f"{quote(schema)}.{quote(table)}"


def index_name(table: str) -> str:
    """The expiry index's name, as py-key-value names it (so it is not made twice)."""
    name = f"idx_{table}_expires_at"
    if len(name) > MAX_IDENTIFIER:
        name = "idx_" + hashlib.sha256(table.encode()).hexdigest()[:16] + "_exp"
    return name


class Statements:
    """Every statement of one store, for its table and its ``value`` column's type.

    Args:
        table: The qualified, quoted table (``"kv_store"`` or ``"app"."kv_store"``).
        value_type: The ``value`` column's type (one of :data:`VALUE_TYPES`).
    """

    def __init__(self, table: str, value_type: str = "json") -> None:
        if value_type not in VALUE_TYPES:
            raise ValueError(f"unsupported value column type {value_type!r}")
        self.value_type = value_type
        t, v = table, value_type
        live = "(expires_at IS NULL OR expires_at > to_timestamp({}))"
        times = "date_part('epoch', created_at), date_part('epoch', expires_at)"
        columns = "collection, key, value, ttl, created_at, expires_at"
        upsert = (
            " ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value,"
            " ttl = EXCLUDED.ttl, created_at = EXCLUDED.created_at,"
            " expires_at = EXCLUDED.expires_at"
        )
        self.get = f"SELECT value, {times} FROM {t} WHERE collection = $1 AND key = $2"
        self.get_many = (
            f"SELECT key, value, {times} FROM {t} WHERE collection = $1 AND key = ANY($2::text[])"
        )
        self.put = (
            f"INSERT INTO {t} ({columns})"
            f" VALUES ($1, $2, $3::{v}, $4, to_timestamp($5), to_timestamp($6)){upsert}"
        )
        self.put_many = (
            f"INSERT INTO {t} ({columns}) SELECT $1, item.key, item.value::{v}, $4,"
            " to_timestamp($5), to_timestamp($6)"
            f" FROM unnest($2::text[], $3::text[]) AS item(key, value){upsert}"
        )
        # Expired rows are deleted too; only live ones count as "existed".
        self.delete = (
            f"DELETE FROM {t} WHERE collection = $1 AND key = $2 RETURNING {live.format('$3')}"
        )
        self.delete_many = (
            f"WITH gone AS (DELETE FROM {t} WHERE collection = $1 AND key = ANY($2::text[])"
            f" RETURNING expires_at) SELECT count(*) FROM gone WHERE {live.format('$3')}"
        )
        # The second column is the original name of a name stored as a token ($5 or $4 is
        # the token prefix; see kv_postgresql.names), read from the wrapped value.
        self.key_page = (
            "SELECT key, CASE WHEN starts_with(key, $5) THEN value::json ->> 'k' END"
            f" FROM {t} WHERE collection = $1 AND key > $2 AND {live.format('$3')}"
            " ORDER BY key LIMIT $4"
        )
        self.collection_page = (
            "SELECT DISTINCT ON (collection) collection,"
            " CASE WHEN starts_with(collection, $4) THEN value::json ->> 'c' END"
            f" FROM {t} WHERE collection > $1 AND {live.format('$2')}"
            " ORDER BY collection LIMIT $3"
        )
        # The atomic operations: one statement each, the condition inside it. The
        # version is the row's xmin (the transaction that wrote this row version):
        # every write makes a new row version. A row that a concurrent statement
        # changed is rechecked against its new version before it is written.
        self.get_versioned = (
            f"SELECT value, {times}, xmin::text FROM {t} WHERE collection = $1 AND key = $2"
        )
        self.put_if_absent = (
            f"INSERT INTO {t} ({columns})"
            f" VALUES ($1, $2, $3::{v}, $4, to_timestamp($5), to_timestamp($6)){upsert}"
            f" WHERE {t}.expires_at <= to_timestamp($5) RETURNING true"
        )
        self.put_if_version = (
            f"UPDATE {t} SET value = $3::{v}, ttl = $4, created_at = to_timestamp($5),"
            " expires_at = to_timestamp($6)"
            f" WHERE collection = $1 AND key = $2 AND xmin::text = $7 AND {live.format('$5')}"
            " RETURNING true"
        )
        self.delete_if_version = (
            f"DELETE FROM {t} WHERE collection = $1 AND key = $2 AND xmin::text = $3"
            f" AND {live.format('$4')} RETURNING true"
        )
        self.destroy = f"DELETE FROM {t}"
        self.destroy_collection = f"DELETE FROM {t} WHERE collection = $1"
        self.cull = f"DELETE FROM {t} WHERE expires_at <= to_timestamp($1)"
        self.cull_some = (
            f"DELETE FROM {t} WHERE (collection, key) IN (SELECT collection, key FROM {t}"
            " WHERE expires_at <= to_timestamp($1) LIMIT $2 FOR UPDATE SKIP LOCKED)"
        )


REQUIRED_COLUMNS = {
    "collection": ("text", "character varying"),
    "key": ("text", "character varying"),
    "value": VALUE_TYPES,
    "ttl": ("double precision",),
    "created_at": ("timestamp with time zone",),
    "expires_at": ("timestamp with time zone",),
}
"""Columns the table must have, with the types this store can use."""

COLUMNS_QUERY = (
    "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute"
    " WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped"
)
"""The table's columns and their types (no rows: the table does not exist)."""


def create_statements(table: str, index: str) -> tuple[str, str]:
    """``CREATE TABLE`` and ``CREATE INDEX`` for a new table (``table`` qualified and quoted,
    ``index`` quoted)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {table} ("
        " collection TEXT NOT NULL, key TEXT NOT NULL, value JSON NOT NULL,"
        " ttl DOUBLE PRECISION, created_at TIMESTAMPTZ, expires_at TIMESTAMPTZ,"
        " PRIMARY KEY (collection, key))",
        f"CREATE INDEX IF NOT EXISTS {index} ON {table} (expires_at) WHERE expires_at IS NOT NULL",
    )
