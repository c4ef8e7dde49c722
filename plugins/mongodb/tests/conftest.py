"""A MongoDB server for the plugin's tests, started once per session.

``KV_MONGODB_URL`` (a connection string without a database, such as
``mongodb://127.0.0.1:27017/?directConnection=true``) names a real server,
as the GitHub workflow sets it; otherwise the mongoeco emulator is started
(:func:`kv_conformance.emulators.mongoeco`), in memory, on a free port.
Tests are isolated by database: each gets a fresh one (a uuid name).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from kv.url import StoreURL
from kv_conformance.emulators import mongoeco
from kv_conformance.servers import ServerProcess

pytestmark = pytest.mark.kv_server

REAL_SERVER = os.environ.get("KV_MONGODB_URL")
"""The connection string of a real MongoDB server, if the environment names one."""


def unique_database() -> str:
    """A fresh database name (each test gets an empty store)."""
    return f"kv-{uuid.uuid4().hex[:16]}"


def server_url(server: ServerProcess) -> str:
    """The connection string of an emulator (no database)."""
    return f"mongodb://127.0.0.1:{server.port}/?directConnection=true"


def with_database(url: str, database: str | None = None, **options: object) -> str:
    """``url`` with a database (fresh by default) as its path and extra query options."""
    parsed = StoreURL.parse(url)
    query = "&".join(
        [f"{name}={value}" for name, value in parsed.query_items]
        + [f"{name}={value}" for name, value in options.items()]
    )
    base = url.partition("?")[0].rstrip("/")
    scheme, _, rest = base.partition("://")
    authority = rest.partition("/")[0]
    path = database or unique_database()
    return f"{scheme}://{authority}/{path}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def mongodb_server() -> Iterator[ServerProcess | None]:
    """The session's emulator (``None`` when ``KV_MONGODB_URL`` names a real server)."""
    if REAL_SERVER:
        yield None
        return
    with mongoeco() as server:
        yield server


@pytest.fixture(scope="session")
def mongodb_url(mongodb_server: ServerProcess | None) -> str:
    """The connection string of the session's server, without a database."""
    if mongodb_server is None:
        assert REAL_SERVER is not None
        return REAL_SERVER
    return server_url(mongodb_server)


class URLs:
    """Connection strings of the session's server, each naming a database."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, database: str | None = None, **options: object) -> str:
        """A connection string of a fresh (or the named) database, with query options."""
        return with_database(self.base, database, **options)


@pytest.fixture(scope="session")
def mongodb_urls(mongodb_url: str) -> URLs:
    """Makes connection strings of databases on the session's server."""
    return URLs(mongodb_url)
