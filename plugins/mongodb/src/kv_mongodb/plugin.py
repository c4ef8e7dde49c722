"""The declaration of ``mongodb://`` and ``mongodb+srv://``: capabilities, options and
store class in one place.

Named by this distribution's ``kv.stores`` entry points. It imports only kv:
listing plugins or resolving the scheme never imports pymongo or
:mod:`kv_mongodb.store`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from kv.errors import InvalidURLError
from kv.options import parse_options
from kv.plugin import Capabilities, ServerOptions, StorePlugin, checks, option
from kv.url import StoreURL, is_secret_option

__all__ = ["DEFAULT_DATABASE", "MAX_VALUE_SIZE", "MONGODB_CAPABILITIES", "PLUGIN", "MongoDBOptions"]

DEFAULT_DATABASE = "kv-store-adapter"
"""The database entries are kept in unless the URL's path names another
(py-key-value's default, so both libraries share it out of the box)."""

MAX_VALUE_SIZE = 15_000_000
"""Largest value JSON a store takes (a MongoDB document holds at most 16 MiB)."""

# pymongo's AsyncMongoClient is an asyncio library: asyncio_only.
MONGODB_CAPABILITIES = Capabilities.every_operation(
    persistent=True, native_ttl=True, asyncio_only=True, atomic=True, max_value_size=MAX_VALUE_SIZE
)
"""What :class:`kv_mongodb.store.MongoDBStore` can do."""

# MongoDB refuses these in a database name (and names longer than 63 bytes).
_DATABASE_NAME = re.compile(r'[^/\\. "$*<>:|?\x00]{1,63}')

ClientOptions = tuple[tuple[str, str], ...]


def _database(value: object) -> str | None:
    """A MongoDB database name: 1 to 63 characters, none of ``/\\. "$*<>:|?`` or NUL."""
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or _DATABASE_NAME.fullmatch(value) is None
        or len(value.encode("utf-8")) > 63
    ):
        shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
        raise ValueError(
            'must be a MongoDB database name (1 to 63 bytes, none of /\\. "$*<>:|? or NUL),'
            f" not {shown}"
        )
    return value


def _client_options(value: object) -> ClientOptions:
    """pymongo's connection-string options as ``(name, text)`` pairs (a mapping is accepted)."""
    pairs = value.items() if isinstance(value, Mapping) else value
    if isinstance(pairs, str) or not hasattr(pairs, "__iter__"):
        raise ValueError("must be a mapping of connection-string options to their text")
    checked: list[tuple[str, str]] = []
    for pair in pairs:
        if not (isinstance(pair, tuple | list) and len(pair) == 2 and isinstance(pair[0], str)):
            raise ValueError("must be a mapping of connection-string options to their text")
        name, text = pair
        if not name:
            raise ValueError("must not have an empty option name")
        checked.append((name, text if isinstance(text, str) else _option_text(text)))
    return tuple(checked)


def _option_text(value: object) -> str:
    """A keyword's value as connection-string text (``True`` is ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    raise ValueError(
        f"must map each name to text, a number or a bool, not a {type(value).__name__}"
    )


class MongoDBOptions(ServerOptions):
    """Options of ``mongodb://`` and ``mongodb+srv://``, from the URL or keywords
    (``MongoDBStore``, ``kv.connect``).

    The URL is a MongoDB connection string
    (``mongodb://user:password@host1:27017,host2/database?replicaSet=rs0``):
    its location gives ``user``, ``password``, ``hosts``, ``port`` (27017
    unless it says otherwise) and ``database``; the query's kv options
    (``auto_create``, ``default_collection``, the timeouts...) are taken out and
    every other query option (``replicaSet``, ``tls``, ``authSource``,
    ``readPreference``, ...) goes to pymongo unchanged, as ``client_options``.
    As in any connection string, the database is also the one the user
    authenticates against unless ``authSource`` names another.

    Attributes:
        database: The database holding the entries, one MongoDB collection per
            kv collection (default ``kv-store-adapter``, py-key-value's).
        auto_create: Create a missing MongoDB collection (with its unique index
            on ``key`` and its TTL index on ``expires_at``) on first use;
            otherwise a missing collection is a :class:`~kv.errors.StoreSetupError`.
        srv: Find the hosts through DNS (a ``mongodb+srv://`` URL sets it).
        client_options: Connection-string options for pymongo, as
            ``(name, text)`` pairs or a mapping (the URL's other query options);
            values of options whose name looks secret are never shown.
        sweep_interval: Seconds between sweeps of expired entries during
            writes; ``none`` (the default) leaves them to the TTL index
            (MongoDB deletes expired documents about once a minute).
            ``cull()`` still works.
    """

    default_port = 27017
    path_option = "database"
    database: str | None = option(default=None, check=_database)
    auto_create: bool = True
    srv: bool = False
    client_options: ClientOptions = option(default=(), check=_client_options)
    sweep_interval: float | None = option(default=None, check=checks.positive_seconds)

    def __repr__(self) -> str:
        shown = super().__repr__()
        for name, text in self.client_options:
            if is_secret_option(name) and text:
                shown = shown.replace(repr(text), "'***'")
        return shown

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """The user, password, hosts, ports and database of the connection string."""
        location = dict(super().from_location(url))
        if not location["hosts"]:
            raise InvalidURLError(
                f"{url.scheme}:// needs a host: mongodb://HOST[:PORT][,HOST2...]/DATABASE"
            )
        if url.variant == "srv":
            if len(url.hosts) != 1 or url.hosts[0].port is not None:
                raise InvalidURLError("mongodb+srv:// takes one host name and no port")
            location["port"] = ()
            location["srv"] = True
        return location

    @classmethod
    def from_url(cls, url: StoreURL, keywords: Mapping[str, object], *, store: str) -> Any:
        """The options of a connection string: kv's own query options, and every
        other query option in ``client_options`` (keywords win over both)."""
        own = {field.name for field in dataclasses.fields(cls)}
        passed = tuple((name, text) for name, text in url.query_items if name not in own)
        location = {k: v for k, v in cls.from_location(url).items() if k not in url.query}
        if passed and "client_options" not in keywords and "client_options" not in url.query:
            location["client_options"] = passed
        ignore = frozenset(name for name, _ in passed)
        return parse_options(url, {**location, **keywords}, cls, store=store, ignore=ignore)


PLUGIN = StorePlugin(
    store="kv_mongodb.store:MongoDBStore",
    options=MongoDBOptions,
    capabilities=MONGODB_CAPABILITIES,
    description="MongoDB (pymongo's AsyncMongoClient), py-key-value's layout, TTL index",
)
"""The declaration the ``kv.stores`` entry points ``mongodb`` and ``mongodb+srv`` name."""
