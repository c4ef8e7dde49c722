"""The aetcd clients of one event loop: one per cluster member, the current one first.

aetcd talks gRPC (grpc.aio), whose channels belong to the event loop that
made them, so a store keeps one :class:`Endpoints` per loop
(:class:`kv.loops.PerLoop`). aetcd's client knows one address; when the
current member cannot be reached, the next one becomes current.

gRPC reconnects by itself after a server restart, with a back-off that grows
up to two minutes by default; the channels here wait at most one second
between attempts, so a store works again within a second of its server's
return.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import aetcd  # type: ignore[import-untyped]
from aetcd import rpc

from kv_etcd.plugin import EtcdOptions

__all__ = ["GRPC_OPTIONS", "Endpoints", "addresses", "credentials", "open_endpoints"]

GRPC_OPTIONS = {
    "grpc.initial_reconnect_backoff_ms": 100,
    "grpc.max_reconnect_backoff_ms": 1000,
    # A bulk read answers up to max_txn_ops values of up to 1 MB each.
    "grpc.max_receive_message_length": -1,
}
"""Options of every gRPC channel a store opens."""


def credentials(options: EtcdOptions) -> tuple[str | None, str | None]:
    """The user and password: the options (or URL), else etcdctl's environment
    (``ETCDCTL_USER`` as ``user`` or ``user:password``, ``ETCDCTL_PASSWORD``)."""
    if options.user is not None:
        return options.user, options.password
    named = os.environ.get("ETCDCTL_USER")
    if not named:
        return None, options.password
    user, colon, password = named.partition(":")
    return user, (password if colon else os.environ.get("ETCDCTL_PASSWORD", options.password))


def addresses(options: EtcdOptions) -> list[tuple[str, int]]:
    """The members' ``(host, port)`` in the order they are tried."""
    hosts = options.hosts or ("127.0.0.1",)
    ports: tuple[int, ...] = options.port or (EtcdOptions.default_port or 2379,)
    if len(ports) == 1:
        ports = ports * len(hosts)
    return list(zip(hosts, ports))


class Endpoints:
    """aetcd clients of the cluster's members, for one event loop."""

    def __init__(self, options: EtcdOptions) -> None:
        self._options = options
        self.timeout = options.command_timeout
        self._members = addresses(options)
        self.clients: list[Any] = [self._client(host, port) for host, port in self._members]
        self._retired: list[Any] = []
        self._current = 0

    def _client(self, host: str, port: int) -> Any:
        user, password = credentials(self._options)
        return aetcd.Client(
            host=host,
            port=port,
            username=user,
            password=password,
            timeout=self.timeout,
            # gRPC's "min reconnect backoff" is the time a connection attempt may
            # take (its handshake included): connect_timeout, not a backoff. Set
            # low, a busy machine's slow handshake fails every call at once.
            options={
                **GRPC_OPTIONS,
                "grpc.min_reconnect_backoff_ms": round(self._options.connect_timeout * 1000),
            },
            connect_wait_timeout=self._options.connect_timeout,
        )

    @property
    def current(self) -> Any:
        """The client of the member calls go to."""
        return self.clients[self._current]

    def move_on(self, failed: Any) -> None:
        """Make the next member current, if ``failed`` is still the current one."""
        if self.clients[self._current] is failed:
            self._current = (self._current + 1) % len(self.clients)

    async def renew(self, expired: Any) -> None:
        """Replace ``expired``, whose authentication token etcd no longer takes, with a
        new client (it authenticates on its first call; aetcd authenticates once
        per channel). The replaced client is closed at the next renewal, once
        the calls still on it are over."""
        index = next((i for i, client in enumerate(self.clients) if client is expired), None)
        if index is None:
            return  # another call renewed it already
        self.clients[index] = self._client(*self._members[index])
        retired, self._retired = self._retired, [expired]
        for client in retired:
            await client.close()

    async def close(self) -> None:
        """Close every client's channel."""
        for client in [*self.clients, *self._retired]:
            await client.close()
        self._retired = []

    async def range(
        self, client: Any, start: bytes, end: bytes, *, limit: int, keys_only: bool
    ) -> tuple[Sequence[Any], bool]:
        """Up to ``limit`` key-values from ``start`` (inclusive) to ``end`` (exclusive),
        and whether more follow.

        aetcd's ``get_range`` has no limit, so this sends the ``RangeRequest``
        itself, over the client's public KV stub and metadata.
        """
        await client.connect()
        request = rpc.RangeRequest(key=start, range_end=end, limit=limit, keys_only=keys_only)
        response = await client.kvstub.Range(
            request, timeout=self.timeout, metadata=client.metadata
        )
        return response.kvs, bool(response.more)


async def open_endpoints(options: EtcdOptions) -> Endpoints:
    """The clients of a new event loop (:class:`kv.loops.PerLoop` makes them; they
    connect on their first call)."""
    return Endpoints(options)
