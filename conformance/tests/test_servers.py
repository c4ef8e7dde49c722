"""ServerProcess: a real server on a loopback port, stopped and restarted by PID."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kv_conformance.servers import ServerProcess, ServerUnavailableError, free_port, port_is_open


def redis_command(port: int, directory: Path) -> list[str]:
    return [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
    ]


def test_start_kill_restart_on_the_same_port() -> None:
    server = ServerProcess("redis", redis_command)
    with server:
        assert server.running
        assert port_is_open(server.port)
        first_pid = server.pid
        server.kill()
        assert not server.running
        assert not port_is_open(server.port)
        server.start()
        assert port_is_open(server.port)
        assert server.pid != first_pid
    assert not server.running
    assert not server.directory.exists()


def test_missing_program_is_an_error_not_a_skip() -> None:
    server = ServerProcess("ghost", lambda port, directory: ["no-such-server-binary", str(port)])
    with pytest.raises(ServerUnavailableError, match="not installed"):
        server.start()
    server.cleanup()


def test_server_that_exits_reports_its_log() -> None:
    server = ServerProcess(
        "bad-redis", lambda port, directory: ["redis-server", "--port", "not-a-port"], timeout=5
    )
    with pytest.raises(ServerUnavailableError, match="exited during start-up"):
        server.start()
    server.cleanup()


def test_free_port_is_free() -> None:
    assert not port_is_open(free_port())


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the directory to another user")
def test_runs_as_another_user() -> None:
    server = ServerProcess("redis-as-nobody", redis_command, user="nobody")
    with server:
        assert server.directory.stat().st_uid != 0
