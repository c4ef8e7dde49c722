"""The declaration of ``vault://`` and ``vault+https://``: capabilities, options, store class.

Named by this distribution's ``kv.stores`` entry points. It imports only kv:
listing plugins or resolving the scheme never imports hvac or
:mod:`kv_vault.store`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kv.errors import InvalidOptionError, InvalidURLError
from kv.plugin import Capabilities, ServerOptions, StorePlugin, checks, option
from kv.url import StoreURL

__all__ = ["MAX_VALUE_SIZE", "PLUGIN", "VAULT_CAPABILITIES", "VaultOptions"]

MAX_VALUE_SIZE = 400_000
"""Largest value JSON a store takes. Vault's Raft storage refuses entries over 1 MiB
(``max_entry_size``), and a value is stored as text inside the secret's JSON
(its quotes escaped once more), encrypted."""

# hvac is blocking: every call runs in a worker thread (kv.blocking), so the
# store runs under asyncio and trio alike. Vault KV has no per-secret expiry:
# the expiry is kept in the document, hidden on read, reclaimed by cull().
VAULT_CAPABILITIES = Capabilities.every_operation(
    persistent=True, atomic=True, max_value_size=MAX_VALUE_SIZE
)
"""What :class:`kv_vault.store.VaultStore` can do."""

_SEGMENT = re.compile(r"[A-Za-z0-9_.\-]+")


def vault_path(value: object, *, what: str, empty: bool) -> str:
    """A Vault path of ``/``-separated segments of letters, digits, ``_``, ``-`` or
    ``.`` (never ``.`` or ``..`` alone); outer slashes are dropped."""
    if not isinstance(value, str):
        raise TypeError(f"must be a {what} (text), not a {type(value).__name__}")
    path = value.strip("/")
    if not path:
        if empty:
            return ""
        raise ValueError(f"must name a {what}, not {value!r}")
    for segment in path.split("/"):
        if _SEGMENT.fullmatch(segment) is None or segment in (".", ".."):
            raise ValueError(
                f"must be a {what} of '/'-separated names of letters, digits, '_', '-'"
                f" or '.', not {value!r}"
            )
    return path


def _mount(value: object) -> str:
    return vault_path(value, what="mount path", empty=False)


def _prefix(value: object) -> str:
    return vault_path(value, what="folder path", empty=True)


def _namespace(value: object) -> str | None:
    if value is None:
        return None
    return vault_path(value, what="namespace", empty=False)


class VaultOptions(ServerOptions):
    """Options of ``vault://HOST[:PORT]/MOUNT`` (and ``vault+https://``), from the URL or keywords.

    The URL's host and port (8200 unless it says otherwise) name the Vault
    server, its path the KV version 2 secrets engine's mount
    (``vault://vault.internal:8200/secret``; ``secret`` when the URL has no
    path). ``vault+https://`` (or ``?tls=true``) talks TLS. Without a host
    (keywords only), hvac's usual ``VAULT_ADDR`` is used. The token comes
    from the ``token`` option, else hvac's usual ``VAULT_TOKEN`` (or
    ``~/.vault-token``); it is never shown. A URL takes no user or password.

    Attributes:
        mount: The mount path of the KV version 2 secrets engine.
        prefix: A folder inside the mount that holds this store's secrets
            (``apps/cache``); empty: the mount's top level, where py-key-value's
            VaultStore keeps its secrets. Stores with different prefixes share
            nothing.
        token: The Vault token (default: ``VAULT_TOKEN``, else
            ``~/.vault-token``). Never shown.
        namespace: The Vault Enterprise namespace (``X-Vault-Namespace``).
        tls: Talk HTTPS (``vault+https://`` sets it).
        tls_verify: Check the server's certificate (``false`` only for tests).
        ca_file: A CA bundle to check the server's certificate with (default:
            ``VAULT_CACERT``/``VAULT_CAPATH``, else the system's).
        auto_create: Enable a KV version 2 engine at ``mount`` on first use if
            none is mounted there (the token needs ``sys/mounts``); otherwise
            a missing mount is a :class:`~kv.errors.StoreSetupError`.
        max_threads: Requests one store has in flight at once (each one
            blocking call of hvac in a worker thread); requests keeps up to 10
            connections per host open for reuse.
        sweep_interval: Seconds between sweeps of expired entries during
            writes; ``none`` (the default): only ``cull()`` reclaims them (a
            sweep lists and reads every secret of the store).
    """

    default_port = 8200
    mount: str = option(default="secret", check=_mount)
    prefix: str = option(default="", check=_prefix)
    token: str | None = None
    namespace: str | None = option(default=None, check=_namespace)
    tls: bool = False
    tls_verify: bool = True
    ca_file: str | None = None
    auto_create: bool = True
    max_threads: int = option(default=10, check=checks.positive_int)
    sweep_interval: float | None = option(default=None, check=checks.positive_seconds)

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.hosts) > 1:
            raise InvalidOptionError("hosts must name one Vault server (or its load balancer)")

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """The server and mount of ``vault[+https]://HOST[:PORT]/MOUNT``."""
        if (url.username, url.password) != (None, None):
            what = "a token (the token option or VAULT_TOKEN), not a user or password"
            raise InvalidURLError(f"{url.scheme}:// takes {what}, in its location")
        found = dict(super().from_location(url))
        if len(url.hosts) > 1:
            raise InvalidURLError(f"{url.scheme}:// names one Vault server, not {len(url.hosts)}")
        mount = url.path.strip("/")
        if mount:
            found["mount"] = mount
        if url.variant == "https":
            found["tls"] = True
        return found

    @classmethod
    def from_path(cls, url: StoreURL) -> Mapping[str, object]:
        """The mount is read by :meth:`from_location` (it may hold ``/``)."""
        return {}


PLUGIN = StorePlugin(
    store="kv_vault.store:VaultStore",
    options=VaultOptions,
    capabilities=VAULT_CAPABILITIES,
    description="HashiCorp Vault's KV v2 engine (hvac, in threads), py-key-value's layout",
)
"""The declaration the ``kv.stores`` entry points ``vault`` and ``vault+https`` name."""
