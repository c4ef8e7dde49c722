"""Where a store's table lives and how it signs in: one ``TableClient`` per event loop.

:func:`resolve_target` reads the options, then the environment Azure's own
tools read, once, when the store is first used. :class:`TableClients` makes
an ``azure.data.tables.aio.TableClient`` for each event loop that uses the
store (its aiohttp session belongs to that loop; see
:class:`kv.loops.PerLoop`) and closes it with its loop or with the store.

No credential is ever put into a message: errors name the account, the
table and the endpoint without its query (which may hold a SAS).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from azure.core.credentials import AzureNamedKeyCredential, AzureSasCredential
from azure.core.pipeline.transport import AioHttpTransport
from azure.data.tables.aio import TableClient

from kv.errors import StoreSetupError
from kv.loops import PerLoop
from kv_azure_tables.plugin import AzureTablesOptions

__all__ = ["ENVIRONMENT", "KEEPALIVE", "TableClients", "Target", "resolve_target"]

KEEPALIVE = 4.0
"""Seconds an idle connection is kept for the next request: less than the
5 s after which Azurite closes one, so a request never goes out on a
connection the server is closing (aiohttp keeps one 15 s by default)."""

ENVIRONMENT = (
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
)
"""The environment variables read when the options give no credentials (as the
Azure command line reads them)."""

_NO_CREDENTIALS = (
    "No credentials for the Azure Tables account {account!r}: set"
    " AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN),"
    " or give the connection_string, account_key, sas_token or credential option"
)


@dataclass(frozen=True)
class Target:
    """The table a store uses and the credential it signs with.

    Attributes:
        endpoint: The table service's URL (an emulator's, a Cosmos DB account's).
        table: The table's name.
        account: The account name (for messages).
        credential: What the client signs requests with (``None``: a SAS in
            the endpoint's query). Never shown.
    """

    endpoint: str
    table: str
    account: str
    credential: Any

    def __repr__(self) -> str:
        return f"Target({self.where})"

    @property
    def where(self) -> str:
        """The account, table and endpoint (without its query), for messages."""
        return f"table {self.table!r} of account {self.account!r} at {self.endpoint.split('?')[0]}"


def resolve_target(options: AzureTablesOptions, environ: Mapping[str, str] | None = None) -> Target:
    """The endpoint and credential the options name, else the environment's.

    Order: the ``connection_string``, ``credential``, ``account_key`` or
    ``sas_token`` option; else ``AZURE_STORAGE_CONNECTION_STRING``; else
    ``AZURE_STORAGE_KEY`` or ``AZURE_STORAGE_SAS_TOKEN`` for the account. The
    ``endpoint`` option wins over a connection string's.

    Raises:
        StoreSetupError: no account, no credentials, or a connection string
            for another account than the URL names.
    """
    env = os.environ if environ is None else environ
    explicit = (options.credential, options.account_key, options.sas_token)
    connection = options.connection_string
    if connection is None and all(given is None for given in explicit):
        connection = env.get("AZURE_STORAGE_CONNECTION_STRING") or None
    if connection is not None:
        try:
            parsed = TableClient.from_connection_string(connection, options.table)
        except ValueError:  # its message may quote the string
            raise StoreSetupError(
                "The Azure Storage connection string cannot be read (not shown: it holds a secret)"
            ) from None
        named = parsed.account_name or options.account or "?"
        if options.account is not None and parsed.account_name not in (None, options.account):
            raise StoreSetupError(
                f"The URL names the Azure Tables account {options.account!r}, but the"
                f" connection string is for {parsed.account_name!r}"
            )
        return Target(options.endpoint or parsed.url, options.table, named, parsed.credential)
    account: str | None = options.account or env.get("AZURE_STORAGE_ACCOUNT") or None
    endpoint = options.endpoint
    if endpoint is None:
        if account is None:
            raise StoreSetupError(
                "No Azure Tables account: name it in the URL (azure-tables://ACCOUNT/TABLE),"
                " in AZURE_STORAGE_ACCOUNT, or give the endpoint or connection_string option"
            )
        endpoint = f"https://{account}.table.core.windows.net"
    credential = options.credential
    key = options.account_key
    sas = options.sas_token
    if all(given is None for given in explicit):
        key = env.get("AZURE_STORAGE_KEY") or None
        sas = None if key is not None else env.get("AZURE_STORAGE_SAS_TOKEN") or None
    if account is None:
        account = _account_of(endpoint)
    if key is not None:
        credential = AzureNamedKeyCredential(account, key)
    elif sas is not None:
        credential = AzureSasCredential(sas.lstrip("?"))
    if credential is None and "sig=" not in endpoint:
        raise StoreSetupError(_NO_CREDENTIALS.format(account=account))
    return Target(endpoint, options.table, account, credential)


def _account_of(endpoint: str) -> str:
    """The account name an endpoint URL names (as azure-data-tables reads it)."""
    try:
        probe = TableClient(endpoint, "probe", credential=AzureSasCredential("x"))
    except ValueError:
        return "?"
    return probe.account_name or "?"


class TableClients:
    """The ``TableClient`` of each event loop that uses one store.

    Args:
        target: The table and credential (see :func:`resolve_target`).
        options: Timeouts and retries.
    """

    def __init__(self, target: Target, options: AzureTablesOptions) -> None:
        self.target = target
        self._timeouts = {
            "connection_timeout": options.connect_timeout,
            "read_timeout": options.read_timeout,
        }
        self._settings: dict[str, Any] = {
            "retry_total": options.retries,
            "retry_connect": options.retries,
            "retry_read": options.retries,
            "retry_status": options.retries,
            "retry_backoff_factor": 0.2,
            "retry_backoff_max": 5,
        }
        self._clients: PerLoop[TableClient] = PerLoop(
            self._make, close=_close, close_with_loop=True
        )

    def __repr__(self) -> str:  # never the credential
        return f"<TableClients {self.target.where}>"

    async def get(self) -> TableClient:
        """The running loop's client (made on first use in the loop)."""
        return self._clients.current or await self._clients.get()

    async def close(self) -> None:
        """Close this loop's client; let go of other loops' clients."""
        await self._clients.close()

    async def new(self) -> TableClient:
        """A client of the running loop, which the caller closes (for tests and tools)."""
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,  # azure-core decodes
            trust_env=True,  # proxies from the environment, as azure-core's own session
        )
        transport = AioHttpTransport(session=session, session_owner=True, **self._timeouts)
        target = self.target
        return TableClient(
            target.endpoint,
            target.table,
            credential=target.credential,
            transport=transport,
            **self._settings,
        )

    async def _make(self) -> TableClient:
        return await self.new()


async def _close(client: TableClient) -> None:
    await client.close()
