"""The declaration of ``firestore://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports google-cloud-firestore
or :mod:`kv_firestore.store`.

URL forms::

    firestore://PROJECT/ROOT_COLLECTION     kv's layout under one root collection
    firestore://PROJECT                     py-key-value's layout at the database root
    firestore:///ROOT_COLLECTION            the project of the environment (ADC, emulator)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kv.errors import InvalidURLError
from kv.plugin import Capabilities, CommonOptions, StorePlugin, checks, option
from kv.url import StoreURL

__all__ = ["FIRESTORE_CAPABILITIES", "MAX_VALUE_SIZE", "PLUGIN", "FirestoreOptions"]

MAX_VALUE_SIZE = 1_000_000
"""Largest value JSON accepted: a Firestore document holds at most 1 MiB (1,048,576
bytes), names and timestamps included."""

# google-cloud-firestore's AsyncClient runs on grpc.aio: asyncio only.
FIRESTORE_CAPABILITIES = Capabilities.every_operation(
    persistent=True,
    native_ttl=True,
    atomic=True,
    asyncio_only=True,
    max_value_size=MAX_VALUE_SIZE,
)
"""What :class:`kv_firestore.store.FirestoreStore` can do."""


def _collection_id(value: object) -> str | None:
    """``None`` or a valid Firestore collection id (kv's root collection)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"must be a str, not {type(value).__name__}")
    if not value or "/" in value or value in (".", "..") or len(value.encode()) > 1500:
        raise ValueError(
            "must be a Firestore collection id: 1 to 1,500 bytes, no '/', not '.' or '..'"
            f" (got {value[:60]!r})"
        )
    if value.startswith("__") and value.endswith("__") and len(value) >= 4:
        raise ValueError(f"must not match __.*__ (Firestore reserves it), not {value!r}")
    return value


class FirestoreOptions(CommonOptions):
    """Options of ``firestore://``, from the URL or keywords (``FirestoreStore``, ``kv.connect``).

    The URL's host is the project and its one path segment the root
    collection (``firestore://my-project/kv``). Credentials come from
    Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``,
    ``gcloud auth application-default login``, the metadata server); with
    ``FIRESTORE_EMULATOR_HOST`` set, the client talks to that emulator
    without credentials, as every Google client does.

    Attributes:
        project: The Google Cloud project (default: the credentials' or
            ``GOOGLE_CLOUD_PROJECT``).
        root: The root collection (the URL's path). Each kv collection is a
            document of it with a subcollection ``kv_entries`` holding one
            document per key. ``none`` (a URL without path): py-key-value's
            layout, each kv collection a collection at the database root.
        database: The Firestore database id.
        endpoint: Another API endpoint than Google's (a regional endpoint,
            Private Service Connect), over TLS; the emulator is named by
            ``FIRESTORE_EMULATOR_HOST`` instead.
        command_timeout: Seconds one call may take, the client's retries of
            an unavailable service included.
        credentials: A ``google.auth`` credentials object (keyword only;
            default: Application Default Credentials). Never shown.
        sweep_interval: Seconds between sweeps of expired entries during
            writes; by default none (``cull()`` only), as the TTL policy
            deletes expired entries.
    """

    project: str | None = None
    # Firestore's TTL policy reclaims expired entries: no sweep during writes unless asked.
    sweep_interval: float | None = option(default=None, check=checks.positive_seconds)
    root: str | None = option(default=None, check=_collection_id)
    database: str = "(default)"
    endpoint: str | None = None
    command_timeout: float = option(default=30.0, check=checks.positive_seconds)
    credentials: Any = option(default=None, check=checks.keyword_only)

    def __repr__(self) -> str:
        shown = super().__repr__()
        return shown if self.credentials is None else shown.replace(repr(self.credentials), "***")

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """The project (the URL's host) and the root collection (its path)."""
        if url.username is not None or url.password is not None:
            raise InvalidURLError(
                "firestore:// takes no user or password: credentials come from Application"
                " Default Credentials or the credentials keyword"
            )
        hosts = url.hosts
        if len(hosts) > 1 or (hosts and hosts[0].port is not None):
            raise InvalidURLError(f"The host of a firestore:// URL is one project id (got {url})")
        segment = url.path[1:] if url.path.startswith("/") else url.path
        if "/" in segment:
            raise InvalidURLError(
                f"The path of a firestore:// URL is one root collection id (got {url})"
            )
        return {"project": hosts[0].name if hosts else None, "root": segment or None}


PLUGIN = StorePlugin(
    store="kv_firestore.store:FirestoreStore",
    options=FirestoreOptions,
    capabilities=FIRESTORE_CAPABILITIES,
    description="Google Cloud Firestore (google-cloud-firestore AsyncClient), native TTL field",
)
"""The declaration the ``kv.stores`` entry point ``firestore`` names."""
