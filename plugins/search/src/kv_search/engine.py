"""What a search-engine plugin supplies from its client library: a transport.

kv-search speaks the engines' REST API itself (paths, bodies, status codes),
so the store logic is written once for Elasticsearch and OpenSearch. A
plugin only adapts its client library to :class:`SearchTransport` (send one
request, return its status and parsed reply) and describes the engine as a
:class:`SearchEngine`; nothing in kv-search imports a client library.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kv_search.options import DEFAULT_PORT, SearchOptions

__all__ = ["Connection", "SearchEngine", "SearchTransport", "connection_of"]


class SearchTransport(Protocol):
    """One event loop's client of an engine, reduced to the one call kv-search needs."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: str | None = None,
        ndjson: bool = False,
    ) -> tuple[int, Any]:
        """Send one request; return its HTTP status and parsed JSON reply.

        An error status is returned, not raised. ``body`` is JSON text (NDJSON
        when ``ndjson``).

        Raises:
            StoreConnectionError: the engine cannot be reached.
            StoreTimeoutError: it did not answer within the command timeout.
        """
        ...

    async def close(self) -> None:
        """Close the client's connections."""
        ...


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
class SearchEngine:
    """A search engine and the client library a plugin talks to it with.

    Attributes:
        name: The engine's name, for messages (``"Elasticsearch"``).
        value_field: The field under ``value`` that holds an entry's value in
            py-key-value's layout (``flattened`` for Elasticsearch, ``flat``
            for OpenSearch).
        default_prefix: py-key-value's default index prefix for the engine.
        connect: ``connect(connection)`` makes a new transport (it connects on
            first use), in the event loop that will use it.
    """

    name: str
    value_field: str
    default_prefix: str
    connect: Callable[[Connection], SearchTransport]
