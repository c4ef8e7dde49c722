"""Passwords, from the URL or from ``?password=``, are used and never shown.

A server of its own requires a password (``scram-sha-256``) from the role
``app``, so these tests prove the password reaches the server, and that a
wrong one fails without the message, the store's ``repr``, its attributes or
the logs repeating it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

import kv
from kv_conformance.servers import ServerProcess, free_port
from kv_postgresql import POSTGRESQL_CAPABILITIES
from kv_postgresql.store import PostgreSQLStore

pytestmark = pytest.mark.anyio

PASSWORD = "Pw-4f9c2e-secret"
WRONG = "Wr0ng-7d1a-secret"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def auth_server(pg: Any) -> Iterator[ServerProcess]:
    """A PostgreSQL server where the role ``app`` must give its password."""
    server = pg.process("postgres-auth")
    hba = server.directory / "data" / "pg_hba.conf"
    original = hba.read_text()
    hba.write_text(
        "host all postgres 127.0.0.1/32 trust\n"
        "host all app 127.0.0.1/32 scram-sha-256\n"
        "local all all trust\n"
    )
    assert "trust" in original
    with server:
        yield server


@pytest.fixture(scope="module")
def app_role(auth_server: ServerProcess, pg: Any) -> str:
    import asyncio

    async def create() -> None:
        connection = await asyncpg.connect(pg.dsn(auth_server))
        try:
            await connection.execute("SET password_encryption = 'scram-sha-256'")
            await connection.execute(f"CREATE ROLE app LOGIN PASSWORD '{PASSWORD}'")
            await connection.execute("CREATE SCHEMA app AUTHORIZATION app")
        finally:
            await connection.close()

    asyncio.run(create())
    return "app"


def assert_hidden(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text
        assert WRONG not in text


def everything_shown(store: PostgreSQLStore, error: BaseException | None = None) -> list[str]:
    shown = [repr(store), str(store), repr(vars(store)), repr(store._connect_args)]
    if error is not None:
        shown += [str(error), repr(error), "".join(traceback.format_exception(error))]
    return shown


@pytest.mark.parametrize("form", ["userinfo", "query"])
async def test_the_password_reaches_the_server(
    auth_server: ServerProcess, app_role: str, form: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    where = f"{auth_server.host}:{auth_server.port}/postgres"
    url = (
        f"postgresql://{app_role}:{PASSWORD}@{where}?schema=app"
        if form == "userinfo"
        else f"postgresql://{app_role}@{where}?schema=app&password={PASSWORD}"
    )
    store = kv.connect(url)
    assert isinstance(store, PostgreSQLStore)
    try:
        await store.put("k", {"v": 1})
        assert await store.get("k") == {"v": 1}
        assert_hidden(*everything_shown(store))
    finally:
        await store.close()
    assert_hidden(caplog.text)


@pytest.mark.parametrize("form", ["userinfo", "query", "query-over-userinfo"])
async def test_a_wrong_password_fails_without_showing_it(
    auth_server: ServerProcess, app_role: str, form: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    where = f"{auth_server.host}:{auth_server.port}/postgres"
    url = {
        "userinfo": f"postgresql://{app_role}:{WRONG}@{where}",
        "query": f"postgresql://{app_role}@{where}?password={WRONG}",
        # The option wins over the URL's password, which is right here.
        "query-over-userinfo": f"postgresql://{app_role}:{PASSWORD}@{where}?password={WRONG}",
    }[form]
    store = kv.connect(url)
    assert isinstance(store, PostgreSQLStore)
    with pytest.raises(kv.KeyValueError) as caught:
        await store.get("k")
    assert "password authentication failed" in str(caught.value)
    assert_hidden(*everything_shown(store, caught.value))
    await store.close()
    assert_hidden(caplog.text)


async def test_no_server_fails_without_showing_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    port = free_port()
    store = kv.connect(
        f"postgresql://app@127.0.0.1:{port}/db?password={PASSWORD}&connect_timeout=2"
    )
    assert isinstance(store, PostgreSQLStore)
    with pytest.raises(kv.StoreConnectionError) as caught:
        await store.get("k")
    assert str(port) in str(caught.value)
    assert_hidden(*everything_shown(store, caught.value))
    await store.close()
    assert_hidden(caplog.text)


def test_a_message_that_quotes_the_password_is_masked() -> None:
    store = kv.connect(f"postgresql://app:{PASSWORD}@db.example/app")
    assert isinstance(store, PostgreSQLStore)
    for error in (
        OSError(f"cannot connect with {PASSWORD}"),
        asyncpg.InterfaceError(f"bad {PASSWORD}"),
        ValueError(f"odd {PASSWORD}"),
    ):
        translated = store._translate_error(error)
        assert translated is not None
        assert_hidden(str(translated))
        assert "***" in str(translated)
    assert store._translate_error(ValueError("nothing secret")) is None


@pytest.mark.parametrize(
    "query",
    [f"ssl_password={PASSWORD}", f"sslpassword={PASSWORD}", f"password={PASSWORD}&password=x"],
)
def test_refused_secret_options_are_not_echoed(query: str) -> None:
    with pytest.raises(kv.InvalidOptionError) as caught:
        kv.connect(f"postgresql://app@db.example/app?{query}")
    assert_hidden(str(caught.value), repr(caught.value))


def test_the_store_is_asyncio_only() -> None:
    assert POSTGRESQL_CAPABILITIES.asyncio_only
    assert PostgreSQLStore.capabilities.asyncio_only


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://app:{PASSWORD}@h/db/extra?password={PASSWORD}",
        f"postgresql://app@h/db/extra?ssl_password={PASSWORD}",
        f"postgresql://app@h/db?password={PASSWORD}&max_size=0",
        f"postgresql://app@h/db?password={PASSWORD}&table=bad-name",
    ],
)
def test_other_errors_of_a_url_with_a_password_do_not_show_it(url: str) -> None:
    with pytest.raises(kv.KeyValueError) as caught:
        kv.connect(url)
    assert_hidden(str(caught.value), repr(caught.value))
