"""Real memcached servers for the kv-memcached tests, started once per session.

Each runs as a child process on a free loopback port (``ServerProcess``). The
tests own these servers, so they may empty them with ``flush_all`` between
tests; the store itself never does.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from kv_conformance.servers import ServerProcess

TWO_MB = 2 * 1024 * 1024


def memcached_command(item_size: str | None = None) -> Callable[[int, Path], Sequence[str]]:
    """``command(port, directory)`` of a memcached on 127.0.0.1 (UDP off, 64 MB)."""

    def command(port: int, directory: Path) -> Sequence[str]:
        argv = ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "64"]
        if item_size is not None:
            argv += ["-I", item_size]
        if os.geteuid() == 0:
            argv += ["-u", "root"]  # memcached refuses root without it
        return argv

    return command


def memcached_process(name: str, item_size: str | None = None) -> ServerProcess:
    """A memcached ServerProcess (stopped with SIGKILL: it is a throwaway cache and
    SIGTERM takes memcached a second or more)."""
    return ServerProcess(
        name,
        memcached_command(item_size),
        stop_signal=signal.SIGKILL,
    )


def send(server: ServerProcess, command: bytes) -> bytes:
    """Send one raw text-protocol command and return the reply up to its last line."""
    with socket.create_connection((server.host, server.port), timeout=5) as connection:
        connection.sendall(command)
        reply = b""
        while not reply.endswith((b"\r\n",)) or (
            reply.startswith(b"VALUE") and not reply.endswith(b"END\r\n")
        ):
            chunk = connection.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply


def flush(*servers: ServerProcess) -> None:
    """Empty servers that the tests own."""
    for server in servers:
        assert send(server, b"flush_all\r\n") == b"OK\r\n"


@pytest.fixture(scope="session")
def memcached_pair() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two memcached servers with 2 MB items (``-I 2m``)."""
    with (
        memcached_process("memcached-a", "2m") as first,
        memcached_process("memcached-b", "2m") as second,
    ):
        yield first, second


@pytest.fixture(scope="session")
def memcached_server(
    memcached_pair: tuple[ServerProcess, ServerProcess],
) -> ServerProcess:
    """One memcached server with 2 MB items."""
    return memcached_pair[0]


@pytest.fixture(scope="session")
def memcached_default() -> Iterator[ServerProcess]:
    """A memcached with its default 1 MB item size limit."""
    with memcached_process("memcached-default") as server:
        yield server


def url_of(*servers: ServerProcess) -> str:
    """``memcached://`` URL of ``servers``."""
    return "memcached://" + ",".join(f"{server.host}:{server.port}" for server in servers)


class Memcached:
    """Test helpers handed to tests as the ``mc`` fixture (conftest is not importable)."""

    TWO_MB = TWO_MB
    process = staticmethod(memcached_process)
    send = staticmethod(send)
    flush = staticmethod(flush)
    url_of = staticmethod(url_of)


@pytest.fixture(scope="session")
def mc() -> type[Memcached]:
    """The helpers above."""
    return Memcached
