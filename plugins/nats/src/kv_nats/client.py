"""Connecting to NATS with nats-py, and nats-py's errors as kv errors.

One :class:`Connection` per event loop (see :class:`kv.loops.PerLoop`). A
connection gives up reconnecting quickly (two attempts per server, 0.1 s
apart) and closes; the store then makes a new one on its next call. So a
store whose server is down answers :class:`~kv.errors.StoreConnectionError`
at once instead of queueing calls, and works again as soon as the server is
back, without being rebuilt.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext

from kv.errors import KeyValueError, StoreConnectionError, StoreError, StoreSetupError
from kv_nats.plugin import NatsOptions

__all__ = ["Connection", "close", "connect", "server_urls", "translate_error"]

RECONNECT_ATTEMPTS = 1
"""Reconnections nats-py tries per server (after the first attempt) before it closes."""

RECONNECT_WAIT = 0.1
"""Seconds between two connection attempts to one server."""

_NO_LIMIT = 24 * 3600.0
"""The command timeout of ``command_timeout=none`` (nats-py needs a number)."""

_log = logging.getLogger("kv.nats")


@dataclass(frozen=True)
class Connection:
    """A nats-py client and its JetStream context, for one event loop."""

    client: Client
    jetstream: JetStreamContext


def server_urls(options: NatsOptions) -> list[str]:
    """nats-py's server URLs (``nats://host:port`` or ``tls://host:port``), without
    credentials."""
    scheme = "tls" if _wants_tls(options) else "nats"
    hosts = options.hosts or ("localhost",)
    ports = options.port or (4222,)
    if len(ports) == 1:
        ports = ports * len(hosts)
    urls = []
    for host, port in zip(hosts, ports):
        shown = f"[{host}]" if ":" in host else host
        urls.append(f"{scheme}://{shown}:{port}")
    return urls


def _wants_tls(options: NatsOptions) -> bool:
    if options.tls is not None:
        return options.tls
    return options.tls_ca_file is not None or options.tls_cert_file is not None


def _tls_context(options: NatsOptions) -> ssl.SSLContext | None:
    if not _wants_tls(options):
        return None
    context = ssl.create_default_context(cafile=options.tls_ca_file)
    if options.tls_cert_file is not None:
        context.load_cert_chain(options.tls_cert_file, options.tls_key_file)
    return context


def _credentials(options: NatsOptions) -> dict[str, Any]:
    """nats-py's authentication arguments: the options, else the NATS CLI's environment."""
    given: dict[str, Any] = {}
    user = options.user if options.user is not None else os.environ.get("NATS_USER")
    password = options.password if options.password is not None else os.environ.get("NATS_PASSWORD")
    token = options.token if options.token is not None else os.environ.get("NATS_TOKEN")
    creds = options.creds_file if options.creds_file is not None else os.environ.get("NATS_CREDS")
    if user:
        given["user"] = user
        given["password"] = password or ""
    if token:
        given["token"] = token
    if creds:
        given["user_credentials"] = creds
    return given


class _Errors:
    """nats-py's error callback while connecting: it remembers whether the server
    refused the credentials or its TLS certificate, and stops the attempt on the
    latter (nats-py would wait forever after it). nats-py's default callback logs
    every failed attempt as an error."""

    def __init__(self) -> None:
        self.refused = False
        self.untrusted = False
        self.attempt: asyncio.Future[None] | None = None

    async def record(self, error: Exception) -> None:
        _log.debug("nats-py reported %s", type(error).__name__)
        if isinstance(error, nats.errors.AuthorizationError) or _AUTHORIZATION in str(error):
            self.refused = True
        if isinstance(error, ssl.SSLCertVerificationError):
            self.untrusted = True
            if self.attempt is not None:
                self.attempt.cancel()

    def failure(self, urls: list[str]) -> KeyValueError:
        """The error of a connection attempt that failed."""
        if self.refused:
            return StoreSetupError("The NATS server refused the credentials")
        if self.untrusted:
            return StoreSetupError(
                "The NATS server's TLS certificate could not be verified (tls_ca_file names"
                " the CA to trust)"
            )
        return StoreConnectionError(f"Could not connect to NATS at {', '.join(urls)}")


_AUTHORIZATION = "Authorization Violation"


async def connect(options: NatsOptions, broke: Callable[[], Awaitable[None]]) -> Connection:
    """Connect to the servers of ``options`` (a new client); nats-py calls ``broke``
    whenever the connection breaks.

    Raises:
        StoreConnectionError: no server could be reached in time.
        StoreSetupError: the servers refused the credentials or their certificate.
    """
    urls = server_urls(options)
    client = Client()
    errors = _Errors()
    attempt = asyncio.ensure_future(
        client.connect(
            servers=urls,
            name="kv",
            connect_timeout=options.connect_timeout,  # type: ignore[arg-type]
            allow_reconnect=True,
            max_reconnect_attempts=RECONNECT_ATTEMPTS,
            reconnect_time_wait=RECONNECT_WAIT,  # type: ignore[arg-type]
            error_cb=errors.record,
            disconnected_cb=broke,
            tls=_tls_context(options),
            **_credentials(options),
        )
    )
    errors.attempt = attempt
    # Every server, each tried 1 + RECONNECT_ATTEMPTS times: nats-py's own bound.
    tries = len(urls) * (RECONNECT_ATTEMPTS + 1)
    try:
        await asyncio.wait_for(attempt, tries * (options.connect_timeout + RECONNECT_WAIT) + 1)
    except (nats.errors.NoServersError, asyncio.TimeoutError):
        await close(client)
        raise errors.failure(urls) from None
    except asyncio.CancelledError:
        if not errors.untrusted:
            raise  # the caller was cancelled
        await close(client)
        raise errors.failure(urls) from None
    return Connection(client, client.jetstream(timeout=options.command_timeout or _NO_LIMIT))


async def close(client: Client) -> None:
    """Close ``client`` (nothing if it is closed already)."""
    if not client.is_closed:
        await client.close()


_CONNECTION_ERRORS = (
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.NoServersError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.errors.ConnectionDrainingError,
)


def translate_error(error: Exception, where: str, healthy: bool) -> KeyValueError | None:
    """nats-py's exception as a kv error (never with credentials); ``None`` if unknown.

    ``healthy`` says whether the connection is up and none broke lately: a
    request that timed out on a connection that broke meanwhile is a
    connection error.
    """
    if isinstance(error, _CONNECTION_ERRORS):
        return StoreConnectionError(f"Lost the connection to NATS ({where})")
    if isinstance(error, nats.errors.TimeoutError):
        if not healthy:
            return StoreConnectionError(f"Lost the connection to NATS ({where})")
        return None  # the base makes it a StoreTimeoutError
    if isinstance(error, nats.errors.AuthorizationError):
        return StoreSetupError(f"The NATS server refused the credentials ({where})")
    if isinstance(error, nats.errors.MaxPayloadError):
        return StoreError(f"The entry is larger than the server's max_payload ({where})")
    if isinstance(error, nats.errors.NoRespondersError | nats.js.errors.NoStreamResponseError):
        return StoreError(f"No JetStream answered for {where}: is JetStream enabled?")
    if isinstance(error, nats.js.errors.APIError):
        return StoreError(f"JetStream refused the request for {where}: {error.description}")
    return None
