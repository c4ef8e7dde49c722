"""URL forms and options of the RESP stores (Redis, Valkey), validated in one place.

A plugin names its schemes with :class:`RespSchemes`; :func:`parse_target`
turns a URL and the parsed :class:`RespOptions` into a :class:`RespTarget`
(what to connect to), without connecting::

    redis://[user[:password]@]host[:port][/db][?option=value...]
    rediss://...                                   TLS
    redis+unix://[user[:password]@]/path/to/socket[?db=N...]
    redis+cluster://host1:port,host2:port[/][?ssl=true...]
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

from kv.errors import InvalidOptionError, InvalidURLError
from kv.options import CommonOptions
from kv.url import Host, StoreURL

__all__ = [
    "CONNECTION_OPTIONS",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_PORT",
    "RespOptions",
    "RespSchemes",
    "RespTarget",
    "parse_target",
    "validate_options",
]

DEFAULT_PORT = 6379
"""The port used when a URL names none."""

DEFAULT_MAX_CONNECTIONS = 100
"""Calls of one store running at once in one event loop, by default."""

CertReqs = Literal["required", "optional", "none"]


class RespOptions(CommonOptions):
    """Options of the Redis and Valkey stores, from the URL query or keywords.

    ``sweep_interval`` and ``sweep_limit`` (from :class:`CommonOptions`) have
    no effect: the server expires entries itself.

    Attributes:
        namespace: Keys of this store start with ``namespace:``; the store owns
            (lists, destroys) only those. Default: none, py-key-value's layout.
        db: Database number (standalone servers only); also the URL path ``/N``.
        username: ACL user name; also from the URL (``redis://user:pw@host``).
        password: Password; also from the URL. Never shown in reprs or errors.
        ssl: Use TLS. Default: by the scheme (``rediss://``, ``valkeys://``).
        ssl_ca_certs: CA bundle file to verify the server with.
        ssl_ca_path: Directory of CA certificates.
        ssl_certfile: Client certificate file (for servers that require one).
        ssl_keyfile: The client certificate's private key file.
        ssl_password: Password of ``ssl_keyfile``.
        ssl_cert_reqs: Verification of the server's certificate:
            ``required`` (default), ``optional`` or ``none``.
        ssl_check_hostname: Check that the certificate names the host (default
            true; off when ``ssl_cert_reqs=none``).
        socket_timeout: Seconds a call may wait, for a free connection and
            for the reply (``none``: forever); then ``StoreTimeoutError``. A
            command that timed out is not retried.
        socket_connect_timeout: Seconds to wait for a connection.
        retries: How often a command is retried after a connection error (on
            a new connection) before the call fails.
        max_connections: Calls of the store running at once in one event
            loop, each on its own connection (per node in a cluster); further
            calls wait their turn, within ``socket_timeout``. ``none``: no
            limit (a connection per concurrent call).
        client_name: Name shown by ``CLIENT LIST``.
        client: An existing asyncio client (keyword only). The store uses it
            as is and never closes it; connection options must not be given.
    """

    namespace: str | None = None
    db: int | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl: bool | None = None
    ssl_ca_certs: str | None = None
    ssl_ca_path: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_password: str | None = field(default=None, repr=False)
    ssl_cert_reqs: CertReqs = "required"
    ssl_check_hostname: bool = True
    socket_timeout: float | None = 5.0
    socket_connect_timeout: float | None = 5.0
    retries: int = 1
    max_connections: int | None = DEFAULT_MAX_CONNECTIONS
    client_name: str | None = None
    client: object | None = field(default=None, repr=False)


CONNECTION_OPTIONS = frozenset(
    f.name
    for f in fields(RespOptions)
    if f.name not in {f.name for f in fields(CommonOptions)} | {"namespace", "client"}
)
"""Options that describe how to connect (meaningless with a ``client``)."""

_TLS_OPTIONS = (
    "ssl_ca_certs",
    "ssl_ca_path",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_password",
)
_FILE_OPTIONS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile")


@dataclass(frozen=True)
class RespSchemes:
    """The URL schemes one plugin serves.

    Attributes:
        plain: Standalone server over TCP (``redis``).
        tls: Standalone server over TLS (``rediss``).
        cluster: A cluster, seed nodes comma-separated (``redis+cluster``).
        unix: Standalone server on a Unix socket (``redis+unix``), if served.
    """

    plain: str
    tls: str
    cluster: str
    unix: str | None = None

    def all(self) -> tuple[str, ...]:
        """Every scheme, in declaration order."""
        schemes = (self.plain, self.tls, self.cluster)
        return schemes if self.unix is None else (*schemes, self.unix)


@dataclass(frozen=True)
class RespTarget:
    """What a store connects to (no credentials: see :class:`RespOptions`).

    Attributes:
        kind: ``"tcp"``, ``"unix"`` or ``"cluster"``.
        hosts: The server (one) or the cluster's seed nodes, ports filled in.
        path: The Unix socket path (``kind == "unix"``).
        db: Database number (always 0 for a cluster).
        tls: Whether TLS is used.
    """

    kind: Literal["tcp", "unix", "cluster"]
    hosts: tuple[Host, ...] = ()
    path: str | None = None
    db: int = 0
    tls: bool = False

    @property
    def cluster(self) -> bool:
        """Whether the target is a cluster."""
        return self.kind == "cluster"

    def describe(self) -> str:
        """A short description for messages and reprs (never credentials)."""
        tls = " (TLS)" if self.tls else ""
        if self.kind == "unix":
            return f"unix socket {self.path} db {self.db}"
        if self.kind == "cluster":
            return "cluster " + ",".join(str(host) for host in self.hosts) + tls
        return f"{self.hosts[0]}/{self.db}{tls}"


def validate_options(options: RespOptions, *, store: str) -> None:
    """Check option values that their types do not cover.

    Raises:
        InvalidOptionError: a negative ``db``, a timeout <= 0, ``retries`` < 0,
            ``max_connections`` < 1, a TLS file that does not exist.
    """

    def fail(message: str) -> InvalidOptionError:
        return InvalidOptionError(message, store=store)

    if options.db is not None and options.db < 0:
        raise fail(f"db must be a database number >= 0, not {options.db}")
    for name in ("socket_timeout", "socket_connect_timeout"):
        value = getattr(options, name)
        if value is not None and not value > 0:
            raise fail(f"{name} must be > 0 seconds or none, not {value!r}")
    if options.retries < 0:
        raise fail(f"retries must be >= 0, not {options.retries}")
    if options.max_connections is not None and options.max_connections < 1:
        raise fail(f"max_connections must be >= 1, not {options.max_connections}")
    for name in _FILE_OPTIONS:
        value = getattr(options, name)
        if value is not None and not Path(value).is_file():
            raise fail(f"{name}: no such file {value!r}")
    if options.ssl_ca_path is not None and not Path(options.ssl_ca_path).is_dir():
        raise fail(f"ssl_ca_path: no such directory {options.ssl_ca_path!r}")
    if options.ssl_keyfile is not None and options.ssl_certfile is None:
        raise fail("ssl_keyfile needs ssl_certfile (the client certificate)")


def _db_from_path(url: StoreURL) -> int | None:
    text = url.path.strip("/")
    if not text:
        return None
    if not text.isdigit():
        raise InvalidURLError(
            f"The path of {url} must be a database number (like /0), not {url.path!r}"
        )
    return int(text)


def parse_target(url: StoreURL, schemes: RespSchemes, options: RespOptions) -> RespTarget:
    """Where ``url`` points, checked against the options.

    Raises:
        InvalidURLError: a scheme not in ``schemes``, several hosts without the
            cluster scheme, a socket URL with a host, a bad database path, or
            TLS options on a URL without TLS.
    """
    scheme = url.scheme
    if scheme not in schemes.all():
        raise InvalidURLError(f"{url} does not use one of the schemes {', '.join(schemes.all())}")
    tls = scheme == schemes.tls
    if options.ssl is not None:
        if tls and not options.ssl:
            raise InvalidURLError(f"{url} uses TLS by its scheme, but ssl=false was given")
        tls = options.ssl
    if not tls:
        given = [name for name in _TLS_OPTIONS if getattr(options, name) is not None]
        if given:
            raise InvalidURLError(
                f"{', '.join(given)} given, but {url} does not use TLS"
                f" (use {schemes.tls}:// or ssl=true)"
            )

    path_db = None if scheme == schemes.unix else _db_from_path(url)
    if path_db is not None and options.db is not None and path_db != options.db:
        raise InvalidURLError(f"{url} names database {path_db} but db={options.db} was given")
    db = options.db if options.db is not None else (path_db or 0)

    if scheme == schemes.unix:
        if url.authority:
            raise InvalidURLError(
                f"{scheme}:// takes a socket path, not a host:"
                f" {scheme}:///run/redis.sock?db=0 (got {url})"
            )
        if not url.path or url.path == "/":
            raise InvalidURLError(f"{scheme}:// needs the socket's path (got {url})")
        if tls:
            raise InvalidURLError(f"TLS is not supported over a Unix socket ({url})")
        return RespTarget("unix", path=url.path, db=db)

    hosts = tuple(Host(host.name or "localhost", host.port or DEFAULT_PORT) for host in url.hosts)
    if scheme == schemes.cluster:
        if not hosts:
            raise InvalidURLError(
                f"{scheme}:// needs at least one node: {scheme}://host1:port,host2:port/"
            )
        if db != 0:
            raise InvalidURLError(f"A cluster has only database 0 (got {url})")
        return RespTarget("cluster", hosts=hosts, tls=tls)

    if len(hosts) > 1:
        raise InvalidURLError(f"{url} names several hosts; use {schemes.cluster}:// for a cluster")
    if not hosts:
        hosts = (Host("localhost", DEFAULT_PORT),)
    return RespTarget("tcp", hosts=hosts, db=db, tls=tls)
