"""hvac's and requests' exceptions as kv errors, and a store whose Vault cannot be
reached: it answers ``StoreConnectionError`` on every call and stays usable
(each call tries again), under asyncio and trio.

The exceptions are hvac's own, made by its ``VaultError.from_status`` as hvac
makes them from Vault's replies; the unreachable server is a closed port.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import requests
from hvac import exceptions as vault

import kv
from kv.errors import (
    StoreConnectionError,
    StoreError,
    StoreSetupError,
    StoreTimeoutError,
)
from kv_vault.client import VaultCalls, make_client
from kv_vault.errors import is_cas_mismatch, is_upgrading, translate_error, vault_errors
from kv_vault.store import VaultStore

WHERE = "Vault at http://h:8200"
URL = "http://h:8200/v1/secret/data/users::alice?token=hvs.should-not-show"
TOKEN = "hvs.never-shown-anywhere"


def from_status(status: int, *errors: str) -> vault.VaultError:
    return vault.VaultError.from_status(
        status, None, errors=list(errors), method="GET", url=URL, text="", json=None
    )


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (400, StoreError, "refused the request (400: bad)"),
        (401, StoreSetupError, "refused the token (401: bad)"),
        (403, StoreSetupError, "refused the token (403: bad)"),
        (404, StoreSetupError, "no such path (404: bad)"),
        (429, StoreError, "429: bad"),
        (500, StoreError, "500: bad"),
        (501, StoreError, "501: bad"),
        (502, StoreConnectionError, "unavailable"),
        (503, StoreConnectionError, "unavailable (sealed or down): 503: bad"),
        (599, StoreError, "refused the request (bad)"),
    ],
)
def test_vault_errors(status: int, kind: type[Exception], words: str) -> None:
    error = translate_error(from_status(status, "bad"), where=WHERE)
    assert type(error) is kind
    assert words in str(error)
    assert WHERE in str(error)
    assert "users::alice" not in str(error)
    assert "should-not-show" not in str(error)


def test_vault_error_texts() -> None:
    assert vault_errors(from_status(400)) == "no error text"
    assert vault_errors(from_status(400, "a", "b")) == "a; b"
    assert len(vault_errors(from_status(400, "x" * 1000))) == 300
    text = vault.InvalidRequest("one", errors="plain text")
    assert vault_errors(text) == "plain text"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (requests.exceptions.ConnectionError("refused"), StoreConnectionError),
        (requests.exceptions.SSLError("bad certificate"), StoreConnectionError),
        (requests.exceptions.ProxyError("proxy"), StoreConnectionError),
        (requests.exceptions.ChunkedEncodingError("cut"), StoreConnectionError),
        (requests.exceptions.ReadTimeout("slow"), StoreTimeoutError),
        (requests.exceptions.ConnectTimeout("slow"), StoreTimeoutError),
        (requests.exceptions.Timeout("slow"), StoreTimeoutError),
    ],
)
def test_requests_errors(error: Exception, kind: type[Exception]) -> None:
    translated = translate_error(error, where=WHERE)
    assert type(translated) is kind
    assert WHERE in str(translated)
    assert type(error).__name__ in str(translated)


def test_other_errors_are_left_to_the_base() -> None:
    assert translate_error(ValueError("x"), where=WHERE) is None
    assert translate_error(requests.exceptions.InvalidURL("x"), where=WHERE) is None


def test_check_and_set_and_upgrade_errors_are_recognised() -> None:
    mismatch = from_status(400, "check-and-set parameter did not match the current version")
    assert is_cas_mismatch(mismatch)
    assert not is_cas_mismatch(from_status(400, "invalid request"))
    assert not is_cas_mismatch(from_status(500, "check-and-set parameter did not match"))
    assert not is_cas_mismatch(ValueError("check-and-set"))
    upgrading = from_status(
        400,
        "Upgrading from non-versioned to versioned data. This backend will be unavailable"
        " for a brief period and will resume service shortly.",
    )
    assert is_upgrading(upgrading)
    assert not is_upgrading(mismatch)
    assert not is_upgrading(ValueError("Upgrading"))


# --- a server that cannot be reached ----------------------------------------------------


@pytest.fixture
def closed_port() -> int:
    """A port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def unreachable(closed_port: int) -> AsyncIterator[VaultStore]:
    store = kv.connect(f"vault://127.0.0.1:{closed_port}/secret?connect_timeout=5", token=TOKEN)
    assert isinstance(store, VaultStore)
    yield store
    await store.close()


@pytest.mark.anyio
async def test_an_unreachable_server_is_a_connection_error(unreachable: VaultStore) -> None:
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: unreachable.get("k", collection="c"),
        lambda: unreachable.put("k", {"v": 1}, collection="c"),
        lambda: unreachable.get_many(["a", "b"], collection="c"),
        lambda: unreachable.delete("k", collection="c"),
        lambda: unreachable.keys("c"),
        lambda: unreachable.put_if_absent("k", {"v": 1}, collection="c"),
        unreachable.cull,
    ]
    for call in calls:  # each tries again: the store is never left broken
        with pytest.raises(StoreConnectionError) as raised:
            await call()
        assert TOKEN not in str(raised.value)
        assert "Cannot reach Vault at http://127.0.0.1:" in str(raised.value)
    await unreachable.close()
    with pytest.raises(StoreConnectionError):
        await unreachable.get("k", collection="c")


def test_requests_against_an_unreachable_server_raise_requests_errors(closed_port: int) -> None:
    calls = VaultCalls(make_client(VaultStore(f"vault://127.0.0.1:{closed_port}").options), "kv")
    try:
        with pytest.raises(requests.exceptions.ConnectionError):
            calls.read("c::k")
        with pytest.raises(requests.exceptions.ConnectionError):
            calls.list("")
        with pytest.raises(requests.exceptions.ConnectionError):
            calls.check_mount(auto_create=True)
    finally:
        calls.close()
