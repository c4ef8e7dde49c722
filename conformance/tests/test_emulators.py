"""The cloud emulators start on a free loopback port, answer, restart on the
same port, and stop by their process ID."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from kv_conformance import emulators
from kv_conformance.servers import ServerProcess, ServerUnavailableError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    "make",
    [emulators.dynamodb_local, emulators.azurite_tables, emulators.firestore],
    ids=["dynamodb-local", "azurite", "firestore"],
)
def test_an_emulator_starts_answers_restarts_and_stops(make: Callable[[], ServerProcess]) -> None:
    server = make()
    with server:
        first = server.pid
        assert first is not None
        assert emulators._answers_http(f"http://127.0.0.1:{server.port}/")
        port = server.port
        server.restart()
        assert server.port == port
        assert server.pid not in (None, first)
        assert not _alive(first) or _zombie(first)
        assert emulators._answers_http(f"http://127.0.0.1:{server.port}/")
        second = server.pid
    assert second is not None
    assert not _alive(second) or _zombie(second)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return False


def test_a_missing_emulator_is_an_error_that_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]
) -> None:
    monkeypatch.setenv("KV_EMULATORS_DIR", os.fspath(tmp_path))
    with pytest.raises(ServerUnavailableError, match="scripts/install-emulators"):
        emulators.dynamodb_local()
    with pytest.raises(ServerUnavailableError, match="scripts/install-emulators"):
        emulators.azurite_tables()
    monkeypatch.setenv("KV_FIRESTORE_JAR", os.fspath(tmp_path))
    with pytest.raises(ServerUnavailableError, match="KV_FIRESTORE_JAR"):
        emulators.firestore()
