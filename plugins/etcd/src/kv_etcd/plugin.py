"""The declaration of ``etcd://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports aetcd (nor grpcio) or
:mod:`kv_etcd.store`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from kv.plugin import Capabilities, ServerOptions, StorePlugin, checks, option
from kv.url import StoreURL

__all__ = ["DEFAULT_PREFIX", "ETCD_CAPABILITIES", "MAX_VALUE_SIZE", "PLUGIN", "EtcdOptions"]

DEFAULT_PREFIX = "kv"
"""The key prefix of a URL without a path (``etcd://host:2379``)."""

MAX_VALUE_SIZE = 1_000_000
"""Largest value JSON a store takes: etcd refuses a request over 1.5 MiB
(``--max-request-bytes``), and an entry is its value plus its names and times."""

# aetcd is built on grpc.aio, an asyncio library: asyncio_only.
ETCD_CAPABILITIES = Capabilities.every_operation(
    atomic=True, asyncio_only=True, max_value_size=MAX_VALUE_SIZE, native_ttl=True, persistent=True
)
"""What :class:`kv_etcd.store.EtcdStore` can do."""


def _prefix(value: object) -> str:
    """A key prefix: any non-empty text, without ``/`` at either end."""
    prefix = value.strip("/") if isinstance(value, str) else ""
    if not prefix or not prefix.isprintable():
        raise ValueError(
            f"must be non-empty printable text (keys live under PREFIX/), not {value!r}"
        )
    return prefix


class EtcdOptions(ServerOptions):
    """Options of ``etcd://HOST:PORT[,HOST2:PORT2]/PREFIX``, from the URL or keywords
    (``EtcdStore``, ``connect``).

    The hosts are members of one etcd cluster, tried in turn when one cannot
    be reached; the URL's path is the key prefix (``etcd://h:2379/app/cache``:
    keys under ``app/cache/``). A user and password come from the URL, the
    options, or etcdctl's environment (``ETCDCTL_USER`` as ``user`` or
    ``user:password``, ``ETCDCTL_PASSWORD``).

    Attributes:
        prefix: The key prefix (the URL's path; default ``kv``): every entry is
            the etcd key ``PREFIX/COLLECTION/KEY`` (the collection escaped).
            Give two stores prefixes where neither is the other's followed by
            ``/``: the prefix ``a`` would see the prefix ``a/b`` as its
            collection ``b``.
        max_txn_ops: Operations one transaction may carry: the server's
            ``--max-txn-ops`` (128 by default). Bulk calls are split into
            transactions of at most this many keys.
        sweep_interval: Seconds between sweeps of expired entries during
            writes; ``none`` (the default) leaves them to etcd's leases.
            ``cull()`` still works.
    """

    default_port: ClassVar[int | None] = 2379
    prefix: str = option(default=DEFAULT_PREFIX, check=_prefix)
    max_txn_ops: int = option(default=128, check=checks.positive_int)
    sweep_interval: float | None = option(default=None, check=checks.positive_seconds)

    @classmethod
    def from_path(cls, url: StoreURL) -> Mapping[str, object]:
        """The key prefix: the URL's whole path (``/app/cache``), if it has one."""
        prefix = url.path.strip("/")
        return {"prefix": prefix} if prefix else {}


PLUGIN = StorePlugin(
    store="kv_etcd.store:EtcdStore",
    options=EtcdOptions,
    capabilities=ETCD_CAPABILITIES,
    description="etcd v3 (aetcd): keys under a prefix, leases for TTL, transactions",
)
"""The declaration the ``kv.stores`` entry point ``etcd`` names."""
