"""The declaration of ``nats://`` and ``nats+tls://``: capabilities, options and store class.

Named by this distribution's ``kv.stores`` entry points. It imports only kv:
listing plugins or resolving the scheme never imports nats-py or
:mod:`kv_nats.store`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Literal

from kv.errors import InvalidOptionError
from kv.plugin import Capabilities, ServerOptions, StorePlugin, checks, option
from kv.url import StoreURL

__all__ = [
    "DEFAULT_BUCKET",
    "DESCRIPTION",
    "MAX_VALUE_SIZE",
    "NATS_CAPABILITIES",
    "PLUGIN",
    "NatsOptions",
]

DEFAULT_BUCKET = "kv"
"""The bucket of a URL without a path (``nats://localhost``)."""

MAX_VALUE_SIZE = 1_000_000
"""Largest value JSON a store takes: nats-server's default ``max_payload`` is
1 MiB per message, and a message also holds the entry's names and timestamps."""

# nats-py is an asyncio library: asyncio_only. No cull(): the server removes an
# entry when its per-message TTL (Nats-TTL) runs out.
NATS_CAPABILITIES = replace(
    Capabilities.every_operation(cull=False, native_ttl=True, persistent=True, atomic=True),
    asyncio_only=True,
    max_value_size=MAX_VALUE_SIZE,
)
"""What :class:`kv_nats.store.NatsStore` can do."""

_BUCKET_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_-")


def _bucket(value: object) -> str:
    """A NATS key-value bucket name: 1 to 200 letters, digits, ``_`` and ``-``."""
    if isinstance(value, str) and 0 < len(value) <= 200 and set(value) <= _BUCKET_CHARACTERS:
        return value
    shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
    raise ValueError(
        f"must be a NATS bucket name (1 to 200 letters, digits, '_' or '-'), not {shown}"
    )


def _file(value: object) -> str | None:
    if value is None:
        return None
    path = checks.local_path(value)
    if not Path(path).is_file():
        raise ValueError(f"must name an existing file, not {path!r}")
    return path


class NatsOptions(ServerOptions, default_port=4222, path_option="bucket"):
    """Options of ``nats://`` and ``nats+tls://``, from the URL or keywords (``NatsStore``,
    ``kv.connect``).

    The URL's location gives ``user``, ``password``, ``hosts``, ``port`` (4222
    unless it says otherwise) and ``bucket``
    (``nats://user:password@host1:4222,host2:4222/BUCKET``); ``nats+tls://``
    connects with TLS. Without credentials in the URL or the options, the
    NATS command line's environment is read: ``NATS_USER`` and
    ``NATS_PASSWORD``, ``NATS_TOKEN``, ``NATS_CREDS`` (a credentials file).

    Attributes:
        bucket: The JetStream key-value bucket holding the entries (letters,
            digits, ``_`` and ``-``); the store owns the whole bucket.
        token: An authentication token. Never shown.
        creds_file: A NATS credentials file (user JWT and NKey seed).
        tls: Connect with TLS (default: by the scheme, ``nats+tls://``).
        tls_ca_file: CA bundle to verify the server with (default: the system's).
        tls_cert_file: Client certificate file, for servers that require one.
        tls_key_file: The client certificate's private key file.
        auto_create: Create the bucket (history 1, per-message TTLs, direct
            gets) on first use if it is missing; otherwise a missing bucket is
            a :class:`~kv.errors.StoreSetupError`.
        storage: Where a created bucket keeps its entries: ``file`` or ``memory``.
        replicas: Replicas of a created bucket (in a JetStream cluster).
        max_concurrency: Calls one bulk operation keeps in flight at once
            (NATS key-value has no multi-key call).
    """

    bucket: str = option(default=DEFAULT_BUCKET, check=_bucket)
    token: str | None = None
    creds_file: str | None = option(default=None, check=_file)
    tls_ca_file: str | None = option(default=None, check=_file)
    tls_cert_file: str | None = option(default=None, check=_file)
    tls_key_file: str | None = option(default=None, check=_file)
    tls: bool | None = None
    auto_create: bool = True
    storage: Literal["file", "memory"] = "file"
    replicas: int = option(default=1, check=checks.positive_int)
    max_concurrency: int = option(default=64, check=checks.positive_int)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.tls_key_file is not None and self.tls_cert_file is None:
            raise InvalidOptionError("tls_key_file needs tls_cert_file (the client certificate)")

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """The URL's user, password, hosts, ports and bucket; ``nats+tls://`` sets ``tls``."""
        located = dict(super().from_location(url))
        if located.get("bucket") is None:
            located.pop("bucket", None)
        return {**located, "tls": True} if url.variant == "tls" else located


DESCRIPTION = "One NATS JetStream key-value bucket (nats-py), per-key TTL"
"""What ``kv plugins`` says of the store."""

PLUGIN = StorePlugin(
    store="kv_nats.store:NatsStore",
    options=NatsOptions,
    capabilities=NATS_CAPABILITIES,
    description=DESCRIPTION,
)
"""The declaration the ``kv.stores`` entry points ``nats`` and ``nats+tls`` name."""
