"""The declaration of ``aerospike://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports the aerospike client or
:mod:`kv_aerospike.store`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from kv.errors import InvalidOptionError, InvalidURLError
from kv.plugin import Capabilities, ServerOptions, StorePlugin, checks, option
from kv.url import StoreURL

__all__ = [
    "AEROSPIKE_CAPABILITIES",
    "DEFAULT_NAMESPACE",
    "DEFAULT_SET",
    "MAX_VALUE_SIZE",
    "PLUGIN",
    "AerospikeOptions",
]

DEFAULT_NAMESPACE = "test"
"""The namespace of a URL without one (py-key-value's default)."""

DEFAULT_SET = "kv-store"
"""The set of a URL without one (py-key-value's default, so both share it)."""

MAX_VALUE_SIZE = 1_000_000
"""Largest value JSON a store takes: a record holds at most 1 MiB by default
(``max-record-size``), and it also holds the entry's names and times."""

# The client blocks; its calls run in worker threads, so any event loop works.
AEROSPIKE_CAPABILITIES = Capabilities.every_operation(
    persistent=True, native_ttl=True, atomic=True, max_value_size=MAX_VALUE_SIZE
)
"""What :class:`kv_aerospike.store.AerospikeStore` can do."""


def _name(pattern: str, what: str) -> Callable[[object], str]:
    """A check of a name that matches ``pattern`` (``what`` describes it)."""
    compiled = re.compile(pattern)

    def name_check(value: object) -> str:
        if isinstance(value, str) and compiled.fullmatch(value) is not None:
            return value
        shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
        raise ValueError(f"must be {what}, not {shown}")

    return name_check


_namespace = _name(
    r"[A-Za-z0-9_\-]{1,31}", "a namespace name (1 to 31 letters, digits, '_' or '-')"
)
_set_name = _name(r"[A-Za-z0-9_.\-]{1,63}", "a set name (1 to 63 letters, digits, '_', '-' or '.')")


class AerospikeOptions(ServerOptions, default_port=3000):
    """Options of ``aerospike://``, from the URL or keywords (``AerospikeStore``, ``kv.connect``).

    The URL's location gives ``user``, ``password``, ``hosts``, ``port`` (3000
    unless it says otherwise), ``namespace`` and ``set_name``
    (``aerospike://user:password@h1:3000,h2:3000/NAMESPACE/SET``); a query
    option or keyword of the same name wins over it. Hosts are seeds: the
    client learns the rest of the cluster from the first that answers.

    Attributes:
        namespace: The namespace holding the set (configured on the server;
            1 to 31 letters, digits, ``_`` or ``-``).
        set_name: The set holding the entries (1 to 63 letters, digits, ``_``,
            ``-`` or ``.``); ``destroy()`` empties only this set.
        auto_create: The server creates a set on its first write; without
            ``auto_create`` the store checks when it opens that the set
            already exists and is otherwise a :class:`~kv.errors.StoreSetupError`.
        threads: Most calls of the store that run at once, each in a worker
            thread (the client blocks; it is thread-safe); more callers wait.
        tls_name: The servers' TLS name: connect with TLS (also set by
            ``tls_cafile``).
        tls_cafile: The CA certificate file that verifies the servers: connect
            with TLS.
        sweep_interval: Seconds between sweeps of expired entries during
            writes; ``none`` (the default) leaves them to the server's own
            expiry. ``cull()`` still works.
    """

    namespace: str = option(default=DEFAULT_NAMESPACE, check=_namespace)
    set_name: str = option(default=DEFAULT_SET, check=_set_name)
    auto_create: bool = True
    threads: int = option(default=16, check=checks.positive_int)
    tls_name: str | None = None
    tls_cafile: str | None = None
    sweep_interval: float | None = option(default=None, check=checks.positive_seconds)

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.user is None) != (self.password is None):
            raise InvalidOptionError("user and password must be given together")

    @classmethod
    def from_path(cls, url: StoreURL) -> Mapping[str, object]:
        """``/NAMESPACE/SET``, ``/NAMESPACE`` or nothing (the defaults)."""
        text = url.path[1:] if url.path.startswith("/") else url.path
        text = text[:-1] if text.endswith("/") else text
        segments = text.split("/") if text else []
        if len(segments) > 2 or any(not segment for segment in segments):
            raise InvalidURLError(
                f"The path of an {url.scheme}:// URL is /NAMESPACE/SET (got {url})"
            )
        names = ("namespace", "set_name")
        return dict(zip(names, segments))


PLUGIN = StorePlugin(
    store="kv_aerospike.store:AerospikeStore",
    options=AerospikeOptions,
    capabilities=AEROSPIKE_CAPABILITIES,
    description="One Aerospike set (aerospike client), py-key-value's layout, record TTL",
)
"""The declaration the ``kv.stores`` entry point ``aerospike`` names."""
