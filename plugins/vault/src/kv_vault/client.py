"""The calls to Vault: one hvac client per store, each call one HTTP request.

:func:`make_client` builds the client from the options (it connects to
nothing); :class:`VaultCalls` makes the requests. They run in worker threads
(``kv.blocking``), several at once: an ``hvac.Client`` is one
``requests.Session``, whose connection pool is thread-safe, and kv never
changes the client after building it (no login, no header changes).
Everything that decides something about Vault's answers lives in
:mod:`kv_vault.secrets`, tested without a server.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import hvac
from hvac import exceptions as vault

from kv.errors import StoreSetupError
from kv_vault.errors import is_cas_mismatch, is_upgrading, vault_errors
from kv_vault.plugin import VaultOptions
from kv_vault.secrets import Secret, names_from_list, secret_from_missing, secret_from_response

__all__ = ["VaultCalls", "base_url", "check_mount_answer", "make_client"]

_UPGRADE_WAIT = 60.0
"""Seconds a freshly enabled KV engine may take to serve requests."""


def base_url(options: VaultOptions) -> str | None:
    """The server's URL from the options; ``None``: hvac's ``VAULT_ADDR``."""
    if not options.hosts:
        return None
    host = options.hosts[0]
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    port = options.port[0] if options.port else VaultOptions.default_port
    return f"{'https' if options.tls else 'http'}://{host}:{port}"


def make_client(options: VaultOptions) -> hvac.Client:
    """A client for the options: token from ``token`` or hvac's ``VAULT_TOKEN``,
    certificates from ``ca_file``/``tls_verify`` or hvac's ``VAULT_CACERT``."""
    verify: bool | str | None = None  # hvac's environment (VAULT_CACERT, VAULT_CAPATH)
    if not options.tls_verify:
        verify = False
    elif options.ca_file is not None:
        verify = options.ca_file
    return hvac.Client(
        url=base_url(options),
        token=options.token,
        verify=verify,
        timeout=(options.connect_timeout, options.command_timeout),  # type: ignore[arg-type]
        namespace=options.namespace,
    )


def check_mount_answer(answer: object, mount: str) -> None:
    """Check Vault's description of the mount (``sys/internal/ui/mounts/MOUNT``).

    Raises:
        StoreSetupError: the mount is not a KV version 2 engine, or ``mount`` is
            a folder inside another mount.
    """
    data = answer.get("data") if isinstance(answer, Mapping) else None
    if not isinstance(data, Mapping):
        raise StoreSetupError(f"Vault did not describe the mount '{mount}'")
    found = str(data.get("path", "")).strip("/")
    if found and found != mount:
        raise StoreSetupError(
            f"'{mount}' is inside the mount '{found}': give mount={found} and the rest as prefix"
        )
    options = data.get("options")
    version = options.get("version") if isinstance(options, Mapping) else None
    if data.get("type") != "kv" or str(version) != "2":
        raise StoreSetupError(
            f"The mount '{mount}' is not a KV version 2 secrets engine"
            f" (type {data.get('type')!r}, version {version!r})"
        )


class VaultCalls:
    """The requests of one store: its client and mount. Each method is one request
    (a blocking call, for a worker thread)."""

    __slots__ = ("client", "kv", "mount")

    def __init__(self, client: hvac.Client, mount: str) -> None:
        self.client = client
        self.mount = mount
        self.kv: Any = client.secrets.kv.v2

    def check_mount(self, auto_create: bool) -> None:
        """Check that a KV version 2 engine is mounted; enable one if allowed.

        Raises:
            StoreSetupError: no such engine (and ``auto_create`` is off), or it
                cannot be enabled.
        """
        try:
            answer = self.client.read(f"sys/internal/ui/mounts/{quote(self.mount)}")
        except vault.Forbidden:
            answer = None  # Vault's answer for a missing mount, and for one the token cannot see
        if answer is not None:
            check_mount_answer(answer, self.mount)
            return
        if not auto_create:
            raise StoreSetupError(
                f"No KV version 2 secrets engine is mounted at '{self.mount}' (or the token"
                " cannot see it), and auto_create is off"
            )
        try:
            self.client.sys.enable_secrets_engine("kv", path=self.mount, options={"version": "2"})
        except vault.InvalidRequest as error:
            if "in use" not in vault_errors(error):
                raise
        self.wait_until_served()

    def wait_until_served(self) -> None:
        """Wait until a fresh KV engine serves requests (it refuses them while it
        sets itself up)."""
        deadline = time.monotonic() + _UPGRADE_WAIT
        pause = 0.02
        while True:
            try:
                self.list("")
                return
            except vault.VaultError as error:
                if not is_upgrading(error) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def read(self, path: str) -> Secret | None:
        """The latest version of a secret (its data ``None`` if that version was
        deleted or destroyed); ``None`` if there is no secret."""
        try:
            response = self.kv.read_secret_version(
                path=path, mount_point=self.mount, raise_on_deleted_version=True
            )
        except vault.InvalidPath as error:
            return secret_from_missing(error.json)
        return secret_from_response(response)

    def write(self, path: str, data: Mapping[str, Any], cas: int | None = None) -> bool:
        """Write a new version; with ``cas``, only if the latest version is ``cas`` (0:
        only if there is no secret). Returns ``False`` if check-and-set refused it."""
        try:
            self.kv.create_or_update_secret(
                path=path, secret=dict(data), cas=cas, mount_point=self.mount
            )
        except vault.InvalidRequest as error:
            if cas is not None and is_cas_mismatch(error):
                return False
            raise
        return True

    def remove(self, path: str) -> None:
        """Delete a secret with every version and its metadata."""
        self.kv.delete_metadata_and_all_versions(path=path, mount_point=self.mount)

    def list(self, folder: str) -> list[str]:
        """The names in a folder (``""``: the mount's top); folders end with ``/``."""
        try:
            response = self.kv.list_secrets(path=folder, mount_point=self.mount)
        except vault.InvalidPath:
            return []
        return names_from_list(response)

    def close(self) -> None:
        """Close the client's connections."""
        self.client.adapter.close()
