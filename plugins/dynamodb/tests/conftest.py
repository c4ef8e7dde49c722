"""Amazon's DynamoDB Local (in memory) and moto's server, each started once per session.

Tests are isolated by table: each gets an empty one of its own. Creating a
table costs DynamoDB Local about half a second, so the conformance tests
take theirs from a :class:`TablePool`: a table is emptied with ``destroy()``
after its test and handed to a later one. The fault tests start their own, persistent DynamoDB Local (see
:func:`persistent_dynamodb_local`), since stopping the shared one would lose
every table.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kv_conformance.emulators import dynamodb_local, moto_server
from kv_conformance.servers import ServerProcess
from kv_dynamodb.store import DynamoDBStore

CREDENTIALS = "aws_access_key_id=kvtestkey&aws_secret_access_key=kvtestsecret-not-shown"
"""Dummy credentials (the emulators accept any) as URL query options."""


def unique_table() -> str:
    """A fresh table name (each test gets an empty store)."""
    return f"kv-{uuid.uuid4().hex[:16]}"


def endpoint(server: ServerProcess) -> str:
    """The endpoint URL of an emulator."""
    return f"http://127.0.0.1:{server.port}"


def url(server: ServerProcess, table: str | None = None, **options: object) -> str:
    """A ``dynamodb://`` URL of a table on ``server``, with dummy credentials."""
    query = "".join(f"&{name}={value}" for name, value in options.items())
    return (
        f"dynamodb://{table or unique_table()}?region=us-east-1&endpoint_url={endpoint(server)}"
        f"&{CREDENTIALS}{query}"
    )


def persistent_dynamodb_local() -> ServerProcess:
    """DynamoDB Local keeping its tables in a file of the server's directory, so they
    outlive a restart on the same port (``-sharedDb -dbPath``, not ``-inMemory``)."""
    server = dynamodb_local()
    command = server.command

    def persistent(port: int, folder: Path) -> list[str]:
        argv = [part for part in command(port, folder) if part != "-inMemory"]
        return [*argv, "-sharedDb", "-dbPath", str(folder)]

    server.command = persistent
    return server


_FEW = 300
"""Items a pooled table may hold and still be emptied rather than deleted."""


class TablePool:
    """Tables of one emulator, emptied after each test and used again."""

    def __init__(self) -> None:
        self._free: list[str] = []

    def take(self) -> str:
        """An empty table (or the name of one to create)."""
        return self._free.pop() if self._free else unique_table()

    async def give_back(self, store: DynamoDBStore) -> None:
        """Empty the store's table and keep it for a later test, then close the store
        (a table that cannot be emptied is not used again).

        The store itself empties it, with the client it already has (a new
        client costs botocore 0.1 s of loading its models). A table holding more
        than a few hundred items is deleted instead: DeleteTable takes DynamoDB
        Local milliseconds, deleting thousands of items seconds.
        """
        try:
            client = await store._clients.get()
            found = await client.scan(TableName=store.table, Limit=_FEW, Select="COUNT")
            if "LastEvaluatedKey" in found:
                await client.delete_table(TableName=store.table)
                return
            await store.destroy()
        except Exception as error:
            if "ResourceNotFound" not in str(error):
                raise
            # the test never used its table: the name is free
        finally:
            await store.close()
        self._free.append(store.table)


class Emulators:
    """Test helpers handed to tests as the ``ddb`` fixture (conftest is not importable)."""

    unique_table = staticmethod(unique_table)
    endpoint = staticmethod(endpoint)
    url = staticmethod(url)
    persistent = staticmethod(persistent_dynamodb_local)
    credentials = CREDENTIALS


@pytest.fixture(scope="session")
def ddb() -> type[Emulators]:
    """The helpers above."""
    return Emulators


@pytest.fixture(scope="session")
def table_pool() -> TablePool:
    """The reusable tables of the session's DynamoDB Local."""
    return TablePool()


@pytest.fixture(scope="session")
def dynamodb_server() -> Iterator[ServerProcess]:
    """One DynamoDB Local for the session (in memory)."""
    with dynamodb_local() as server:
        yield server


@pytest.fixture(scope="session")
def moto() -> Iterator[ServerProcess]:
    """One moto server for the session."""
    with moto_server() as server:
        yield server
