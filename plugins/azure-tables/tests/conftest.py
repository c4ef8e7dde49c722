"""Azurite's Table service for the kv-azure-tables tests, started once per test session.

With pytest-xdist every worker is its own session with its own Azurite on its
own random port. Tests share it and keep apart by table: each gets a fresh
table name (``azure_table``), dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables.aio import TableServiceClient

from kv_conformance.emulators import azurite_connection_string, azurite_tables
from kv_conformance.servers import ServerProcess

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


def unique_table(prefix: str = "t") -> str:
    """A table name no other test uses (letters and digits, starting with a letter)."""
    return f"{prefix}{uuid.uuid4().hex}"


async def drop_table(connection_string: str, table: str) -> None:
    """Delete a table if it exists, with a client of its own."""
    async with TableServiceClient.from_connection_string(connection_string) as service:
        try:
            await service.delete_table(table)
        except ResourceNotFoundError:
            pass


@pytest.fixture
async def azure_table(connection_string: str) -> AsyncIterator[str]:
    """A fresh table name, dropped after the test."""
    table = unique_table()
    yield table
    await drop_table(connection_string, table)
