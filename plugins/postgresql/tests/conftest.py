"""A real PostgreSQL server for the kv-postgresql tests, started once per session.

The server programs are found by ``kv_conformance.servers.postgres_bindir``:
``KV_POSTGRES_BIN``, else Debian's ``/usr/lib/postgresql/<major>/bin`` (the
highest major installed), else ``pg_config --bindir``.

initdb and postgres refuse to run as root, so as root both run as the
``postgres`` system user (see ../shared/reference/backends.md). The data
directory lives in the server's temporary directory and survives
``ServerProcess.kill()`` + ``start()``, so fault tests can check that
acknowledged writes outlive a crash. ``fsync`` is off (the machine does not
crash, the server does) but ``synchronous_commit`` stays on: a commit that
returned is in the write-ahead log.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from kv_conformance.servers import ServerProcess, ServerUnavailableError, postgres_bindir


@functools.lru_cache(maxsize=1)
def pg_bin() -> Path:
    """The PostgreSQL programs' directory (looked up once, when a server is first needed)."""
    return postgres_bindir()


def _as_server_user() -> dict[str, Any]:
    if os.geteuid() != 0:
        return {}
    import pwd

    account = pwd.getpwnam("postgres")
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _command(port: int, directory: Path) -> Sequence[str]:
    return [
        str(pg_bin() / "postgres"),
        "-D",
        str(directory / "data"),
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
        "-k",
        str(directory),
        "-c",
        "fsync=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=200",
    ]


def _ready(server: ServerProcess) -> bool:
    probe = subprocess.run(
        [str(pg_bin() / "pg_isready"), "-q", "-h", server.host, "-p", str(server.port)],
        check=False,
        capture_output=True,
    )
    return probe.returncode == 0


def postgres_process(name: str) -> ServerProcess:
    """A PostgreSQL ServerProcess with a fresh data directory (initdb done, not started)."""
    server = ServerProcess(
        name, _command, ready=_ready, stop_signal=signal.SIGINT, user="postgres", timeout=60
    )
    initdb = [
        str(pg_bin() / "initdb"),
        "-D",
        str(server.directory / "data"),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]
    done = subprocess.run(initdb, check=False, capture_output=True, **_as_server_user())
    if done.returncode != 0:
        server.cleanup()
        raise ServerUnavailableError(f"initdb failed: {done.stderr.decode(errors='replace')}")
    return server


def dsn(server: ServerProcess, database: str = "postgres") -> str:
    """The URL of ``server`` as the ``postgres`` superuser."""
    return f"postgresql://postgres@{server.host}:{server.port}/{database}"


def unique_table() -> str:
    """A fresh table name (each test gets an empty store)."""
    return f"t_{uuid.uuid4().hex[:16]}"


class Postgres:
    """Test helpers handed to tests as the ``pg`` fixture (conftest is not importable)."""

    process = staticmethod(postgres_process)
    dsn = staticmethod(dsn)
    unique_table = staticmethod(unique_table)


@pytest.fixture(scope="session")
def pg() -> type[Postgres]:
    """The helpers above."""
    return Postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ServerProcess]:
    """One PostgreSQL server for the session."""
    with postgres_process("postgres") as server:
        yield server


@pytest.fixture
async def raw_pg(postgres_server: ServerProcess) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to the test server."""
    connection = await asyncpg.connect(dsn(postgres_server))
    yield connection
    await connection.close()
