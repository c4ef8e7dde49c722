"""What a RESP plugin supplies from its client library, and what core does with it.

redis-py (``redis.asyncio``) and the ``valkey`` package (a fork of redis-py)
share one API: the same constructor arguments, commands, pipelines, cluster
client and exception tree, under different names. A plugin describes its
library once as a :class:`RespDriver` (classes, a retry policy, exception
classes); :func:`build_client` and :func:`translate_error` do the rest, so
nothing in kv-resp imports a client library.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from kv.errors import (
    DeserializationError,
    KeyValueError,
    ReadOnlyError,
    StoreConnectionError,
    StoreError,
    StoreTimeoutError,
)
from kv_resp.options import RespOptions, RespTarget

__all__ = [
    "ExceptionTypes",
    "RespDriver",
    "RespErrors",
    "build_client",
    "redis_py_driver",
    "translate_error",
]

ExceptionTypes = tuple[type[BaseException], ...]

_UNLIMITED_POOL = 2**31
"""A pool size that is never reached (what redis-py used to mean by none)."""


@dataclass(frozen=True)
class RespErrors:
    """A client library's exception classes, by what they mean to kv.

    Attributes:
        base: Every exception of the library (``RedisError`` and the cluster
            exception root).
        connection: The server cannot be reached or the connection broke.
        timeout: The server did not answer in time.
        authentication: The server refused the credentials.
        cluster: The cluster cannot serve the call (down, slots not covered).
        read_only: The server refuses writes (a replica).
        out_of_memory: The server is out of memory (``maxmemory``).
        no_permission: An ACL forbids the command.
        response: Any other error reply of the server.
        no_script: The server does not have a script in its cache (``NOSCRIPT``).
    """

    base: ExceptionTypes
    connection: ExceptionTypes
    timeout: ExceptionTypes
    authentication: ExceptionTypes
    cluster: ExceptionTypes
    read_only: ExceptionTypes
    out_of_memory: ExceptionTypes
    no_permission: ExceptionTypes
    response: ExceptionTypes
    no_script: ExceptionTypes = ()


def _pool_connection(pool: Any) -> Awaitable[Any]:
    connection: Awaitable[Any] = pool.get_connection()
    return connection


def _has_data(connection: Any) -> Awaitable[bool]:
    pending: Awaitable[bool] = connection.can_read()
    return pending


@dataclass(frozen=True)
class RespDriver:
    """A redis-py-compatible asyncio client library, as one plugin uses it.

    Attributes:
        library: Name of the library, for messages (``"redis-py"``).
        client: The standalone client class (``redis.asyncio.Redis``).
        cluster_client: The cluster client class (``redis.asyncio.RedisCluster``).
        cluster_node: ``cluster_node(host, port)`` makes a seed node
            (``redis.asyncio.cluster.ClusterNode``).
        retry: ``retry(retries)`` makes the library's retry policy object,
            retrying after connection errors only: a timed-out command is not
            retried, so ``socket_timeout`` is what a caller waits at most.
        errors: The library's exception classes.
        pool_connection: ``pool_connection(pool)`` awaits a connected connection
            of a standalone client's pool (redis-py 5.3+ takes no argument; the
            ``valkey`` fork still wants a command name). Used by the conditional
            writes, which are sent once, outside the client's retries.
        has_data: ``has_data(connection)`` awaits whether an idle connection has
            data or an end of stream waiting (the server closed it): redis-py
            8's ``can_read()``, the fork's ``can_read_destructive()``.
    """

    library: str
    client: Callable[..., Any]
    cluster_client: type[Any]
    cluster_node: Callable[[str, int], Any]
    retry: Callable[[int], Any]
    errors: RespErrors
    pool_connection: Callable[[Any], Awaitable[Any]] = _pool_connection
    has_data: Callable[[Any], Awaitable[bool]] = _has_data


def redis_py_driver(
    library: str,
    package: str,
    prefix: str,
    *,
    pool_connection: Callable[[Any], Awaitable[Any]] = _pool_connection,
    has_data: Callable[[Any], Awaitable[bool]] = _has_data,
) -> RespDriver:
    """The driver of redis-py or a fork with its API (``valkey``), found by its names.

    The fork's modules mirror redis-py's, with its own prefix in the class
    names: ``{package}.asyncio.{prefix}`` (``redis.asyncio.Redis``),
    ``{prefix}Cluster``, ``{package}.asyncio.cluster.ClusterNode``,
    ``{package}.asyncio.retry.Retry``, ``{package}.backoff.ExponentialBackoff``,
    and ``{package}.exceptions`` with ``{prefix}Error`` and
    ``{prefix}ClusterException`` beside the classes both share
    (``ConnectionError``, ``ResponseError``, ...).

    Args:
        library: Name of the library, for messages (``"redis-py"``).
        package: Its import package (``"redis"``).
        prefix: Its class-name prefix (``"Redis"``).
        pool_connection: How to take a connected connection from a standalone
            client's pool (default: ``pool.get_connection()``).
        has_data: Whether an idle connection has data or an end of stream
            waiting (default: ``connection.can_read()``).
    """
    client_module = importlib.import_module(f"{package}.asyncio")
    cluster = importlib.import_module(f"{package}.asyncio.cluster")
    retry = importlib.import_module(f"{package}.asyncio.retry").Retry
    backoff = importlib.import_module(f"{package}.backoff").ExponentialBackoff
    exceptions = importlib.import_module(f"{package}.exceptions")
    error = getattr(exceptions, f"{prefix}Error")
    cluster_error = getattr(exceptions, f"{prefix}ClusterException")

    def retry_policy(retries: int) -> Any:
        # Broken connections only: a command that timed out is not sent again,
        # so a caller waits socket_timeout at most, not (retries + 1) times it.
        return retry(
            backoff(cap=0.5, base=0.02),
            retries,
            supported_errors=(exceptions.ConnectionError,),
        )

    return RespDriver(
        library=library,
        client=getattr(client_module, prefix),
        cluster_client=getattr(client_module, f"{prefix}Cluster"),
        cluster_node=cluster.ClusterNode,
        retry=retry_policy,
        errors=RespErrors(
            base=(error, cluster_error),
            connection=(exceptions.ConnectionError,),
            timeout=(exceptions.TimeoutError,),
            authentication=(exceptions.AuthenticationError, exceptions.AuthorizationError),
            cluster=(exceptions.ClusterError, cluster_error),
            read_only=(exceptions.ReadOnlyError,),
            out_of_memory=(exceptions.OutOfMemoryError,),
            no_permission=(exceptions.NoPermissionError,),
            response=(exceptions.ResponseError,),
            no_script=(exceptions.NoScriptError,),
        ),
        pool_connection=pool_connection,
        has_data=has_data,
    )


def build_client(driver: RespDriver, target: RespTarget, options: RespOptions) -> Any:
    """A new client of ``driver``'s library for ``target`` (it connects on first use).

    This is the client :class:`~kv_resp.RespStore` uses, so a benchmark's raw
    client built here matches the store's. Its connection pool is unbounded:
    ``options.max_connections`` is enforced by the store itself, which makes
    callers beyond it wait instead of being refused (redis-py's own pool
    refuses a 101st connection with ``Too many connections``).

    Replies are bytes (``decode_responses=False``): documents are decoded once,
    by kv, and keys that are not UTF-8 can be skipped rather than fail.
    """
    kwargs: dict[str, Any] = {
        "username": options.username,
        "password": options.password,
        "socket_timeout": options.socket_timeout,
        "socket_connect_timeout": options.socket_connect_timeout,
        "retry": driver.retry(options.retries),
        "decode_responses": False,
    }
    # Unbounded: the libraries' pools refuse a connection beyond their limit
    # (redis-py's default is 100); RespStore bounds its calls in flight itself.
    kwargs["max_connections"] = _UNLIMITED_POOL
    if options.client_name is not None:
        kwargs["client_name"] = options.client_name
    if target.tls:
        check_hostname = options.ssl_check_hostname and options.ssl_cert_reqs != "none"
        kwargs.update(
            ssl=True,
            ssl_ca_certs=options.ssl_ca_certs,
            ssl_certfile=options.ssl_certfile,
            ssl_keyfile=options.ssl_keyfile,
            ssl_cert_reqs=options.ssl_cert_reqs,
            ssl_check_hostname=check_hostname,
        )
        if options.ssl_ca_path is not None:
            kwargs["ssl_ca_path"] = options.ssl_ca_path
        if options.ssl_password is not None:
            kwargs["ssl_password"] = options.ssl_password
    if target.kind == "cluster":
        nodes = [driver.cluster_node(host.name, host.port or 0) for host in target.hosts]
        return driver.cluster_client(startup_nodes=nodes, **kwargs)
    if target.kind == "unix":
        return driver.client(unix_socket_path=target.path, db=target.db, **kwargs)
    host = target.hosts[0]
    return driver.client(host=host.name, port=host.port, db=target.db, **kwargs)


def _scrub(text: str, secrets: tuple[str | None, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


_TRANSLATIONS: tuple[tuple[str, type[KeyValueError], str], ...] = (
    ("timeout", StoreTimeoutError, "{where} did not answer in time: {reason}"),
    ("authentication", StoreConnectionError, "{where} refused the credentials: {reason}"),
    ("connection", StoreConnectionError, "Cannot reach {where}: {reason}"),
    ("cluster", StoreConnectionError, "{where} cannot serve the call: {reason}"),
    ("read_only", ReadOnlyError, "{where} refuses writes (a read-only replica?): {reason}"),
    ("out_of_memory", StoreError, "{where} is out of memory: {reason}"),
    ("no_permission", StoreError, "{where} does not permit the command: {reason}"),
)
"""The client library's errors (attributes of :class:`RespErrors`), in the order they
are tested, and the kv error and message each becomes."""


def translate_error(
    error: BaseException,
    errors: RespErrors,
    *,
    where: str,
    secrets: tuple[str | None, ...] = (),
) -> KeyValueError | None:
    """The kv error for a client library exception (``None``: not the library's).

    Args:
        error: The exception a call raised.
        errors: The library's exception classes.
        where: What the store talks to, for messages (no credentials).
        secrets: Texts never to repeat in a message (passwords).
    """
    if isinstance(error, UnicodeDecodeError):
        return DeserializationError("A stored document is not valid UTF-8")
    if not isinstance(error, errors.base):
        return None
    reason = _scrub(str(error), secrets) or type(error).__name__
    for kind, translated, message in _TRANSLATIONS:
        if isinstance(error, getattr(errors, kind)):
            return translated(message.format(where=where, reason=reason))
    if isinstance(error, errors.response) and reason.startswith("WRONGTYPE"):
        return DeserializationError(
            "The server key holds a value that is not a string (not written by kv)"
        )
    return StoreError(f"{where} failed: {reason}")
