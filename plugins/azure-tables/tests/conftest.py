"""Azurite's Table service for the kv-azure-tables tests, started once per test session.

With pytest-xdist every worker is its own session with its own Azurite on its
own random port. Tests share it and keep apart by table: each gets a fresh
table name (``azure_table``), dropped afterwards.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables.aio import TableServiceClient

from kv_conformance.emulators import (
    azurite_connection_string,
    azurite_tables,
    emulators_directory,
)
from kv_conformance.servers import ServerProcess, ServerUnavailableError, port_is_open

pytestmark = pytest.mark.kv_server


@pytest.fixture(scope="session")
def azurite() -> Iterator[ServerProcess]:
    """Azurite 3.35's Table service, in memory, on a loopback port."""
    with azurite_tables() as server:
        yield server


@pytest.fixture(scope="session")
def connection_string(azurite: ServerProcess) -> str:
    """The connection string of Azurite's development account."""
    return azurite_connection_string(azurite)


def unique_table() -> str:
    """A table name no other test uses (letters and digits, starting with a letter)."""
    return f"t{uuid.uuid4().hex}"


async def drop_table(connection_string: str, table: str) -> None:
    """Delete a table if it exists, with a client of its own."""
    async with TableServiceClient.from_connection_string(connection_string) as service:
        with contextlib.suppress(ResourceNotFoundError):
            await service.delete_table(table)


@pytest.fixture
async def azure_table(connection_string: str) -> AsyncIterator[str]:
    """A fresh table name, dropped after the test."""
    table = unique_table()
    yield table
    await drop_table(connection_string, table)


@pytest.fixture
async def new_table(connection_string: str) -> AsyncIterator[Callable[[], str]]:
    """Makes fresh table names, each dropped after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(unique_table())
        return made[-1]

    yield make
    for table in made:
        await drop_table(connection_string, table)


@pytest.fixture(scope="module")
def durable_azurite() -> Iterator[ServerProcess]:
    """An Azurite of its own (it gets stopped) that keeps its tables in its directory
    (``--location``) and saves them when stopped with SIGINT: a restart finds them."""
    with _persistent_azurite("azurite-durable") as server:
        yield server


@pytest.fixture(scope="module")
def doomed_azurite() -> Iterator[ServerProcess]:
    """An in-memory Azurite of its own (it gets killed, and loses its tables)."""
    with azurite_tables() as server:
        yield server


def _persistent_azurite(name: str) -> ServerProcess:
    """Azurite's Table service keeping its tables in its directory, stopped with SIGINT."""
    program = emulators_directory() / ".bin" / "azurite-table"
    node = shutil.which("node")
    if node is None or not program.exists():
        raise ServerUnavailableError("Azurite is not installed: run scripts/install-emulators")

    def command(port: int, directory: Path) -> list[str]:
        return [
            node,
            str(program),
            "--tableHost",
            "127.0.0.1",
            "--tablePort",
            str(port),
            "--location",
            str(directory / "data"),
            "--disableTelemetry",
            "--silent",
            "--skipApiVersionCheck",
        ]

    return ServerProcess(
        name,
        command,
        stop_signal=signal.SIGINT,
        ready=lambda server: port_is_open(server.port),
        timeout=60.0,
    )


@pytest.fixture
def anyio_backend() -> str:
    """azure-data-tables' asynchronous client runs on aiohttp: asyncio only."""
    return "asyncio"
