"""The declaration of ``memcached://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports :mod:`kv_memcached.store`
or its protocol module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from kv.errors import InvalidOptionError, InvalidURLError
from kv.plugin import Capabilities, CommonOptions, StorePlugin, checks, option
from kv.url import Host, StoreURL

__all__ = [
    "DEFAULT_MAX_ITEM_SIZE",
    "DEFAULT_PORT",
    "ITEM_RESERVE",
    "MEMCACHED_CAPABILITIES",
    "PLUGIN",
    "MemcachedOptions",
]

DEFAULT_PORT = 11211
"""The port of a server that names none."""

DEFAULT_MAX_ITEM_SIZE = 1024 * 1024
"""Memcached's default item size limit (``-I 1m``), in bytes."""

ITEM_RESERVE = 1024
"""Bytes of an item kept for the stored document's fields, the key and the
server's item header: the largest value is the item size limit minus this."""

MEMCACHED_CAPABILITIES = Capabilities(
    native_ttl=True,
    atomic=True,
    max_value_size=DEFAULT_MAX_ITEM_SIZE - ITEM_RESERVE,
)
"""What :class:`kv_memcached.store.MemcachedStore` can do.

Memcached cannot list its keys, so there is no enumeration; ``destroy`` would
need ``flush_all``, which wipes every key of the server, including other
applications' keys, so it is not offered either. Expiry is native. The
atomic operations are memcached's ``add``, ``gets``, ``cas`` and meta ``md``. The store
speaks the protocol itself and runs under asyncio and trio. A store
built with a larger ``max_item_size`` (a server run with ``-I``) raises
``max_value_size`` accordingly.
"""


def _parse_server(server: object) -> tuple[str, int]:
    """``"host[:port]"`` (IPv6 in brackets) or ``(host, port)`` -> ``(host, port)``.

    Raises:
        InvalidOptionError: anything else.
    """
    if isinstance(server, str):
        try:
            hosts = StoreURL.parse(f"memcached://{server.strip()}").hosts
        except InvalidURLError as error:
            raise InvalidOptionError(f"Server {server!r} is not host[:port]: {error}") from None
        if len(hosts) != 1 or not hosts[0].name:
            raise InvalidOptionError(f"Server {server!r} is not one host[:port]")
        return hosts[0].name, hosts[0].port if hosts[0].port is not None else DEFAULT_PORT
    if (
        not isinstance(server, tuple)
        or len(server) != 2
        or not isinstance(server[0], str)
        or not server[0]
        or type(server[1]) is not int
        or not 0 < server[1] < 65536
    ):
        raise InvalidOptionError(f"Server {server!r} is not a (host, port) pair")
    return server


def _servers(value: object) -> tuple[str, ...]:
    if isinstance(value, str):  # "h1:11211,h2"
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, Sequence):
        raise TypeError(f"must be a list of servers, not {type(value).__name__}")
    addresses = [_parse_server(server) for server in value]
    if not addresses:
        raise InvalidOptionError("A memcached store needs at least one server")
    if len(set(addresses)) != len(addresses):
        raise InvalidOptionError("A memcached server is listed twice")
    return tuple(str(Host(host, port)) for host, port in addresses)


def _address(server: str) -> tuple[str, int]:
    """The inverse of ``str(Host(host, port))``: ``"[::1]:11211"`` -> ``("::1", 11211)``."""
    host, _, port = server.rpartition(":")
    return (host[1:-1] if ":" in host else host), int(port)


def _max_item_size(value: object) -> int:
    low, high = 8 * 1024, 1024 * 1024 * 1024  # 1 GiB: memcached's own upper bound for -I
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"must be an int from {low} to {high} bytes, not {value!r}")
    return value


class MemcachedOptions(CommonOptions):
    """Options of ``memcached://``, from the URL or keywords of ``MemcachedStore`` / ``kv.connect``.

    ``sweep_interval`` and ``sweep_limit`` are accepted and unused: memcached
    expires entries by itself.

    Attributes:
        servers: The servers, as ``"host[:port]"`` (IPv6 in brackets, port
            11211 by default) or ``(host, port)``: the URL's hosts
            (``memcached://h1:11211,h2``), or the first positional argument
            of ``MemcachedStore`` (a list, or one comma-separated string).
            Every key lives on one of them. Kept as ``"host:port"``.
        max_item_size: The servers' item size limit in bytes (memcached's
            ``-I``, 1 MiB by default), from 8 KiB to 1 GiB. Values up to this
            minus 1024 bytes are accepted; larger ones raise
            :class:`~kv.errors.EntryTooLargeError`.
        max_connections: Connections per server, at most.
        timeout: Seconds one call to one server may take (``none``: no limit).
    """

    positional = "servers"
    servers: tuple[str, ...] = option(default=(f"127.0.0.1:{DEFAULT_PORT}",), check=_servers)
    max_item_size: int = option(default=DEFAULT_MAX_ITEM_SIZE, check=_max_item_size)
    max_connections: int = option(default=8, check=checks.positive_int)
    timeout: float | None = option(default=5.0, check=checks.positive_seconds)

    def adjust_capabilities(self, declared: Capabilities) -> Capabilities:
        """The largest value follows ``max_item_size``."""
        return replace(declared, max_value_size=self.max_item_size - ITEM_RESERVE)

    @property
    def addresses(self) -> tuple[tuple[str, int], ...]:
        """``(host, port)`` of each server, in order."""
        return tuple(_address(server) for server in self.servers)

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """``memcached://host[:port][,host[:port]...]``; ``memcached://`` is ``127.0.0.1:11211``.

        Raises:
            InvalidURLError: the URL has a user, password or path.
        """
        if url.username is not None or url.password is not None:
            raise InvalidURLError(
                f"memcached:// takes no user or password (got {url}); memcached's text"
                " protocol has no authentication"
            )
        if url.path not in ("", "/"):
            raise InvalidURLError(f"memcached:// takes no path (got {url})")
        servers = tuple((host.name, host.port or DEFAULT_PORT) for host in url.hosts)
        return {"servers": servers} if servers else {}


PLUGIN = StorePlugin(
    store="kv_memcached.store:MemcachedStore",
    options=MemcachedOptions,
    capabilities=MEMCACHED_CAPABILITIES,
    description="Memcached over TCP, keys spread over several servers",
)
"""The declaration the ``kv.stores`` entry point ``memcached`` names."""
