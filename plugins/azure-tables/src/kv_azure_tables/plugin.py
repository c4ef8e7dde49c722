"""The declaration of ``azure-tables://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports azure-data-tables or
:mod:`kv_azure_tables.store`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kv.errors import InvalidOptionError, InvalidURLError
from kv.plugin import Capabilities, CommonOptions, StorePlugin, checks, option
from kv.url import StoreURL, is_secret_option

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "AZURE_TABLES_CAPABILITIES",
    "DEFAULT_TABLE",
    "MAX_VALUE_SIZE",
    "PLUGIN",
    "AzureTablesOptions",
]

MAX_VALUE_SIZE = 700_000
"""Largest value JSON a store takes: an entity holds at most 1 MiB (Azurite
counts its JSON body, where a binary property is base64, so about 750 KB of
document), and an entity holds the value's document plus its names."""

DEFAULT_TABLE = "kvstore"
"""The table of a URL that names none (``azure-tables://ACCOUNT``)."""

# azure-data-tables' asynchronous client runs on aiohttp, an asyncio library.
AZURE_TABLES_CAPABILITIES = Capabilities.every_operation(
    persistent=True, atomic=True, asyncio_only=True, max_value_size=MAX_VALUE_SIZE
)
"""What :class:`kv_azure_tables.store.AzureTablesStore` can do (Azure Tables has
no expiry of its own: no ``native_ttl``)."""

_STORAGE_TABLE = re.compile(r"[A-Za-z][A-Za-z0-9]{2,62}")
_COSMOS_TABLE = re.compile(r"[^/\\#?]{0,253}[^ /\\#?]")
_ACCOUNT = re.compile(r"[A-Za-z0-9-]{1,63}")

_NOT_SHOWN = "connection_string"
"""The one secret option whose name kv's rule does not recognise as one."""


def _account(value: object) -> str | None:
    """A storage (or Cosmos DB) account name: letters, digits and ``-``."""
    if value is None:
        return None
    if not isinstance(value, str) or _ACCOUNT.fullmatch(value) is None:
        shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
        raise ValueError(f"must be an account name (letters, digits and '-'), not {shown}")
    return value


def _endpoint(value: object) -> str | None:
    """An ``http://`` or ``https://`` URL, without its trailing ``/``."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL of the table service")
    return value.rstrip("/")


def _connection_string(value: object) -> str | None:
    """A connection string (never quoted in a message)."""
    if value is None:
        return None
    if not isinstance(value, str) or "=" not in value:
        raise ValueError("must be an Azure Storage connection string (Name=value;...)")
    return value


class AzureTablesOptions(CommonOptions):
    """Options of ``azure-tables://ACCOUNT/TABLE``, from the URL or keywords
    (``AzureTablesStore``, ``kv.connect``).

    Credentials come from the options below, else from the environment Azure's
    own tools read: ``AZURE_STORAGE_CONNECTION_STRING``, or the account
    (``AZURE_STORAGE_ACCOUNT`` when the URL names none) with
    ``AZURE_STORAGE_KEY`` or ``AZURE_STORAGE_SAS_TOKEN``. None of them is ever
    shown in a message or ``repr()``.

    Attributes:
        account: The storage account (the URL's host); default: the
            connection string's, or ``AZURE_STORAGE_ACCOUNT``.
        table: The table holding the entries (the URL's path): 3 to 63 letters
            and digits, starting with a letter (Cosmos DB: up to 255
            characters but ``/ \\ # ?``). PartitionKey is the collection,
            RowKey the key: py-key-value's AzureTablesStore layout.
        endpoint: The table service's URL, for an emulator (Azurite:
            ``http://127.0.0.1:10002/devstoreaccount1``) or a compatible
            service (Cosmos DB: ``https://ACCOUNT.table.cosmos.azure.com``);
            default: the connection string's, else
            ``https://ACCOUNT.table.core.windows.net``.
        connection_string: An Azure Storage connection string (keyword only,
            never in the URL, which messages may show; or
            ``AZURE_STORAGE_CONNECTION_STRING``). Never shown.
        account_key: The account's shared key. Never shown.
        sas_token: A shared access signature (``sv=...&sig=...``). Never shown.
        credential: A credential object (keyword only): an
            ``azure.identity.aio`` token credential such as
            ``DefaultAzureCredential()``, an ``AzureNamedKeyCredential`` or an
            ``AzureSasCredential``. Never shown; the store does not close it.
        auto_create: Create the table on first use (and again if it
            disappears) when it is missing; otherwise a missing table is a
            :class:`~kv.errors.StoreSetupError`.
        connect_timeout: Seconds to open a connection.
        read_timeout: Seconds to wait for a reply.
        retries: How many times a request that failed on the way (a refused
            connection, a dropped reply, a throttled or failed service) is
            sent again, with exponential backoff (0: never).
        sweep_interval: Seconds between sweeps of expired entries during
            writes; ``none`` (the default): only ``cull()`` removes them (a
            sweep queries the whole table, which has no index on the expiry).
    """

    url_positional = True
    account: str | None = option(default=None, check=_account)
    table: str = DEFAULT_TABLE
    endpoint: str | None = option(default=None, check=_endpoint)
    connection_string: str | None = option(default=None, check=_connection_string)
    account_key: str | None = None
    sas_token: str | None = None
    credential: Any = option(default=None, check=checks.keyword_only)
    auto_create: bool = True
    connect_timeout: float = option(default=10.0, check=checks.positive_seconds)
    read_timeout: float = option(default=30.0, check=checks.positive_seconds)
    retries: int = option(default=3, check=checks.at_least(0))
    sweep_interval: float | None = option(default=None, check=checks.positive_seconds)

    def __post_init__(self) -> None:
        super().__post_init__()
        cosmos = self.endpoint is not None and ".cosmos." in self.endpoint
        rule = _COSMOS_TABLE if cosmos else _STORAGE_TABLE
        if not isinstance(self.table, str) or rule.fullmatch(self.table) is None:
            shown = repr(self.table) if isinstance(self.table, str) else type(self.table).__name__
            described = (
                "1 to 255 characters without '/', '\\\\', '#', '?' or a trailing space"
                if cosmos
                else "3 to 63 letters and digits, starting with a letter"
            )
            raise InvalidOptionError(f"table must be a table name ({described}), not {shown}")
        given = [
            name
            for name in ("connection_string", "account_key", "sas_token", "credential")
            if getattr(self, name) is not None
        ]
        if len(given) > 1:
            raise InvalidOptionError(f"Give one way to authenticate, not {' and '.join(given)}")

    def __repr__(self) -> str:
        """Every option; the credentials (the connection string too) as ``***``."""
        shown = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            secret = is_secret_option(field.name) or field.name == _NOT_SHOWN
            shown.append(f"{field.name}={'***' if secret and value is not None else value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    @classmethod
    def from_url(cls, url: StoreURL, keywords: Mapping[str, object], *, store: str) -> Self:
        """The options of ``url`` and ``keywords``; a connection string in the URL is refused.

        Raises:
            InvalidOptionError: the URL's query holds ``connection_string``
                (a URL may be shown in messages and logs), or a bad option.
            InvalidURLError: the URL's location is not ``ACCOUNT/TABLE``.
        """
        if _NOT_SHOWN in url.query:
            raise InvalidOptionError(
                "Give connection_string as a keyword or in AZURE_STORAGE_CONNECTION_STRING,"
                " not in the URL (a URL may be shown in messages and logs)",
                store=store,
            )
        return super().from_url(url, keywords, store=store)

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """The account (the URL's host) and the table (its path)."""
        forms = f"{url.scheme}://ACCOUNT/TABLE or {url.scheme}:///TABLE"
        if url.username is not None or url.password is not None:
            raise InvalidURLError(
                f"{url.scheme}:// takes no user or password (use the account_key, sas_token"
                f" or connection_string options, or the environment): {forms}"
            )
        hosts = url.hosts
        if len(hosts) > 1 or any(host.port is not None for host in hosts):
            raise InvalidURLError(
                f"{url.scheme}:// names one account, without a port (give an emulator's"
                f" address as ?endpoint=): {forms}"
            )
        table = url.path.strip("/")
        if "/" in table:
            raise InvalidURLError(f"The path of a {url.scheme}:// URL is one table: {forms}")
        found: dict[str, object] = {}
        if hosts:
            found["account"] = hosts[0].name
        if table:
            found["table"] = table
        return found


PLUGIN = StorePlugin(
    store="kv_azure_tables.store:AzureTablesStore",
    options=AzureTablesOptions,
    capabilities=AZURE_TABLES_CAPABILITIES,
    description="One Azure Tables or Cosmos DB table (azure-data-tables), py-key-value's layout",
)
"""The declaration the ``kv.stores`` entry point ``azure-tables`` names."""
