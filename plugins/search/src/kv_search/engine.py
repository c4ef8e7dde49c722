"""What a search-engine plugin supplies from its client library: a transport.

kv-search speaks the engines' REST API itself (paths, bodies, status codes),
so the store logic is written once for Elasticsearch and OpenSearch. A
plugin describes its engine and client library as a :class:`SearchEngine`:
how to make a client from the store's :class:`Connection`, and how to send
one :class:`Request` with it and return its :data:`Reply` (status and parsed
body); nothing in kv-search imports a client library.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlencode

from kv_search.options import DEFAULT_PORT, SearchOptions

__all__ = ["Client", "Connection", "Reply", "Request", "SearchEngine", "connection_of"]


class Client(Protocol):
    """What kv-search needs of a client library's client object besides ``send``."""

    async def close(self) -> None:
        """Close the client's connections."""
        ...


C = TypeVar("C", bound=Client)


@dataclass(frozen=True)
class Request:
    """One REST request of kv-search.

    Attributes:
        method: ``GET``, ``PUT``, ``POST`` or ``DELETE``.
        path: The path (``/index/_doc/id``), its parts already quoted.
        params: The query parameters.
        body: JSON text (NDJSON for ``_bulk``), or ``None``.
        headers: The headers: content type, accept, ``authorization``.
        timeout: Seconds the reply may take (``None``: no limit).
    """

    method: str
    path: str
    params: Mapping[str, str]
    body: str | None
    headers: Mapping[str, str]
    timeout: float | None

    def target(self) -> str:
        """The path with its query string."""
        return f"{self.path}?{urlencode(self.params)}" if self.params else self.path


Reply = tuple[int, Any]
"""A reply's HTTP status and parsed JSON body (an error status is a reply too)."""


@dataclass(frozen=True)
class Connection:
    """Where and how a store connects (from its options), for a plugin's client.

    Attributes:
        nodes: Node URLs (``http://host:9200``), without credentials.
        headers: Headers every request carries: JSON content types and the
            ``authorization`` header, if any (never shown: see ``__repr__``).
        options: The store's options (timeouts, TLS settings, pool size).
    """

    nodes: tuple[str, ...]
    headers: Mapping[str, str]
    options: SearchOptions

    def __repr__(self) -> str:
        return f"<Connection nodes={list(self.nodes)!r}>"

    def ndjson_headers(self) -> dict[str, str]:
        """:attr:`headers` for an NDJSON body (``_bulk``)."""
        return {**self.headers, "content-type": "application/x-ndjson"}

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: str | None,
        *,
        ndjson: bool = False,
    ) -> Request:
        """A request with this connection's headers."""
        headers = self.ndjson_headers() if ndjson else self.headers
        timeout = self.options.command_timeout
        return Request(method, path, params or {}, body, headers, timeout)


def connection_of(options: SearchOptions) -> Connection:
    """The nodes and headers the options name (``localhost:9200`` by default)."""
    scheme = "https" if options.tls else "http"
    hosts = options.hosts or ("localhost",)
    ports = options.port or (DEFAULT_PORT,)
    if len(ports) == 1:
        ports = ports * len(hosts)
    nodes = tuple(
        f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
        for host, port in zip(hosts, ports)
    )
    headers = {"accept": "application/json", "content-type": "application/json"}
    if options.api_key is not None:
        headers["authorization"] = f"ApiKey {options.api_key}"
    elif options.user is not None or options.password is not None:
        pair = f"{options.user or ''}:{options.password or ''}".encode()
        headers["authorization"] = f"Basic {base64.b64encode(pair).decode('ascii')}"
    return Connection(nodes, headers, options)


@dataclass(frozen=True)
class SearchEngine(Generic[C]):
    """A search engine and the client library a plugin talks to it with.

    Attributes:
        name: The engine's name, for messages (``"Elasticsearch"``).
        value_field: The field under ``value`` that holds an entry's value in
            py-key-value's layout (``flattened`` for Elasticsearch, ``flat``
            for OpenSearch).
        default_prefix: py-key-value's default index prefix for the engine.
        connect: ``connect(connection)`` makes a new client (it connects on
            first use), in the event loop that will use it.
        send: ``await send(client, request)`` sends one request and returns
            its :data:`Reply`; it raises
            :class:`~kv.errors.StoreConnectionError` when the engine cannot be
            reached and :class:`~kv.errors.StoreTimeoutError` when it does not
            answer within the command timeout.
    """

    name: str
    value_field: str
    default_prefix: str
    connect: Callable[[Connection], C]
    send: Callable[[C, Request], Awaitable[Reply]]
