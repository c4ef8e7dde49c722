"""Credentials: from the URL, the options and the NATS command line's environment,
against nats-server processes that require a user and password or a token.
A refused credential is a StoreSetupError that never shows it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import kv
from kv.errors import StoreSetupError
from kv_conformance.servers import ServerProcess
from kv_nats.store import NatsStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]

PASSWORD = "pw-Zq81"
TOKEN = "tok-Xy72"


@pytest.fixture(scope="module")
def password_server(nats_servers: Callable[..., ServerProcess]) -> Iterator[ServerProcess]:
    with nats_servers("nats-auth", "--user", "kvuser", "--pass", PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def token_server(nats_servers: Callable[..., ServerProcess]) -> Iterator[ServerProcess]:
    with nats_servers("nats-token", "--auth", TOKEN) as server:
        yield server


async def _works(store: kv.AsyncKeyValue) -> None:
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    assert isinstance(store, NatsStore)
    await store.destroy()
    await store.close()


async def test_user_and_password_from_the_url(password_server: ServerProcess) -> None:
    await _works(kv.connect(f"nats://kvuser:{PASSWORD}@127.0.0.1:{password_server.port}/a"))


async def test_user_and_password_from_the_environment(
    password_server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NATS_USER", "kvuser")
    monkeypatch.setenv("NATS_PASSWORD", PASSWORD)
    await _works(kv.connect(f"nats://127.0.0.1:{password_server.port}/b"))


async def test_token_from_the_options_and_the_environment(
    token_server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _works(kv.connect(f"nats://127.0.0.1:{token_server.port}/c", token=TOKEN))
    monkeypatch.setenv("NATS_TOKEN", TOKEN)
    await _works(kv.connect(f"nats://127.0.0.1:{token_server.port}/d"))


@pytest.mark.parametrize("given", ["url", "keyword"])
async def test_refused_credentials_are_never_shown(
    password_server: ServerProcess, given: str
) -> None:
    wrong = "wrong-Pw-9931"
    base = f"nats://127.0.0.1:{password_server.port}/e"
    if given == "url":
        store = kv.connect(f"nats://kvuser:{wrong}@127.0.0.1:{password_server.port}/e")
    else:
        store = kv.connect(base, user="kvuser", password=wrong)
    with pytest.raises(StoreSetupError) as caught:
        await store.get("k")
    for text in (str(caught.value), repr(caught.value), repr(store)):
        assert wrong not in text
    assert "credentials" in str(caught.value)
    assert isinstance(store, NatsStore)
    await store.close()


async def test_missing_credentials_are_refused(password_server: ServerProcess) -> None:
    store = kv.connect(f"nats://127.0.0.1:{password_server.port}/f")
    with pytest.raises(StoreSetupError):
        await store.get("k")
    assert isinstance(store, NatsStore)
    await store.close()
