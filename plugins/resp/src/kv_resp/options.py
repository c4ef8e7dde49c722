"""URL forms and options of the RESP stores (Redis, Valkey), declared once.

:class:`RespOptions` is the options class of kv-redis and kv-valkey: each
option's type, default, check and documentation, from which the stores'
keywords, URL queries, ``from_url`` and ``kv plugins`` are derived. A plugin
names its schemes with :class:`RespSchemes`; :func:`parse_target` turns the
options' ``url`` into a :class:`RespTarget` (what to connect to), without
connecting::

    redis://[user[:password]@]host[:port][/db][?option=value...]
    rediss://...                                   TLS
    redis+unix://[user[:password]@]/path/to/socket[?db=N...]
    redis+cluster://host1:port,host2:port[/][?ssl=true...]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kv import checks
from kv.capabilities import Capabilities
from kv.errors import InvalidOptionError, InvalidURLError, KeyValueError
from kv.names import validate_collection
from kv.options import CommonOptions, option
from kv.plugin import StorePlugin
from kv.url import Host, StoreURL

if TYPE_CHECKING:
    from typing_extensions import Self  # kv-core's dependency, for type checking only

__all__ = [
    "CONNECTION_OPTIONS",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_PORT",
    "RESP_CAPABILITIES",
    "RespOptions",
    "RespSchemes",
    "RespTarget",
    "parse_target",
    "resp_plugin",
]

DEFAULT_PORT = 6379
"""The port used when a URL names none."""

DEFAULT_MAX_CONNECTIONS = 100
"""Calls of one store running at once in one event loop, by default."""

# redis-py and valkey-py are asyncio libraries: asyncio_only. No cull(): the
# server expires keys itself.
RESP_CAPABILITIES = Capabilities.every_operation(
    cull=False, native_ttl=True, persistent=True, asyncio_only=True, atomic=True
)
"""What a store of the RESP family (kv-redis, kv-valkey) can do."""

CertReqs = Literal["required", "optional", "none"]


def _file(value: str | None) -> str | None:
    if value is not None and not Path(value).is_file():
        raise ValueError(f"must name an existing file, not {value!r}")
    return value


def _directory(value: str | None) -> str | None:
    if value is not None and not Path(value).is_dir():
        raise ValueError(f"must name an existing directory, not {value!r}")
    return value


def _namespace(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_collection(value)
    except KeyValueError as error:
        raise InvalidOptionError(f"namespace is invalid: {error.message}") from None


class RespOptions(CommonOptions):
    """Options of the Redis and Valkey stores, from the URL or keywords.

    The URL is the stores' first positional argument (``RedisStore(url,
    **options)`` means what ``kv.connect(url, **options)`` means); keywords
    override its query and its user and password. ``sweep_interval`` and
    ``sweep_limit`` (from :class:`CommonOptions`) have no effect: the server
    expires entries itself.

    Attributes:
        url: Where the server is: the URL's scheme, hosts and path
            (``redis://host:port/db``), without user, password or query
            (those become options). Default: ``<scheme>://localhost:6379/0``.
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
            as is and never closes it; a URL and connection options must not
            be given.
    """

    positional = "url"
    url: str | None = None
    namespace: str | None = option(default=None, check=_namespace)
    db: int | None = option(default=None, check=checks.optional(checks.at_least(0)))
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl: bool | None = None
    ssl_ca_certs: str | None = option(default=None, check=_file)
    ssl_ca_path: str | None = option(default=None, check=_directory)
    ssl_certfile: str | None = option(default=None, check=_file)
    ssl_keyfile: str | None = option(default=None, check=_file)
    ssl_password: str | None = field(default=None, repr=False)
    ssl_cert_reqs: CertReqs = "required"
    ssl_check_hostname: bool = True
    socket_timeout: float | None = option(default=5.0, check=checks.positive_seconds)
    socket_connect_timeout: float | None = option(default=5.0, check=checks.positive_seconds)
    retries: int = option(default=1, check=checks.at_least(0))
    max_connections: int | None = option(
        default=DEFAULT_MAX_CONNECTIONS, check=checks.optional(checks.positive_int)
    )
    client_name: str | None = None
    client: object | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.ssl_keyfile is not None and self.ssl_certfile is None:
            raise InvalidOptionError("ssl_keyfile needs ssl_certfile (the client certificate)")
        if self.client is None:
            return
        if isinstance(self.client, str):
            raise InvalidOptionError("client must be an asyncio client object, passed as a keyword")
        if self.url is not None:
            raise InvalidOptionError("Give either a URL or a client, not both")
        given = sorted(
            name for name in CONNECTION_OPTIONS if getattr(self, name) != _DEFAULTS[name]
        )
        if given:
            raise InvalidOptionError(
                f"{', '.join(given)} cannot be combined with a client (configure the client)"
            )

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """The URL's scheme, hosts and path as ``url``; its user and password.

        Raises:
            InvalidURLError: the query names ``url`` (the URL is the location).
        """
        if "url" in url.query:
            raise InvalidURLError(f"{url} names a url in its query; give the server as the URL")
        location = dataclasses.replace(url, username=None, password=None, query_items=())
        located: dict[str, object] = {"url": location.render()}
        if url.username is not None:
            located["username"] = url.username
        if url.password is not None:
            located["password"] = url.password
        return located

    @classmethod
    def build(cls, given: object, keywords: Mapping[str, object], *, store: str) -> Self:
        """As :meth:`StoreOptions.build`, but a URL (positional or ``url=``) means all of it.

        ``RedisStore("rediss://u:pw@cache/0?ssl_ca_certs=ca.pem", namespace="n")``
        is ``RedisStore.from_url(...)``: the URL's query and user info become
        options too, not just its location.
        """
        if given is None and isinstance(keywords.get("url"), str | StoreURL):
            given = keywords["url"]
            keywords = {name: value for name, value in keywords.items() if name != "url"}
        if isinstance(given, str | StoreURL):
            return cls.from_url(StoreURL.parse(given), keywords, store=store)
        return super().build(given, keywords, store=store)


_DEFAULTS = {f.name: f.default for f in dataclasses.fields(RespOptions)}

CONNECTION_OPTIONS = frozenset(
    f.name
    for f in dataclasses.fields(RespOptions)
    if f.name
    not in {f.name for f in dataclasses.fields(CommonOptions)} | {"url", "namespace", "client"}
)
"""Options that describe how to connect (meaningless with a ``client``)."""

_TLS_OPTIONS = (
    "ssl_ca_certs",
    "ssl_ca_path",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_password",
)


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


def resp_plugin(store: str, description: str) -> StorePlugin:
    """The declaration of a RESP plugin's schemes: its store class (``"module:Class"``),
    kv-resp's options and capabilities, and one line for ``kv plugins``."""
    return StorePlugin(
        store=store, options=RespOptions, capabilities=RESP_CAPABILITIES, description=description
    )
