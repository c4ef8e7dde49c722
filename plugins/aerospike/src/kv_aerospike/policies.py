"""The client configuration, policies and filter expressions the store sends.

Everything here is built without a server: the store's calls pass these
dictionaries to the aerospike client as they are.

* **Writes** send the key (``POLICY_KEY_SEND``, so listings read names back)
  and the record TTL (:func:`kv_aerospike.records.record_ttl`).
* **Conditional writes** are the server's own: ``POLICY_EXISTS_CREATE`` for
  ``put_if_absent``; for a version, ``POLICY_GEN_EQ`` on the record's
  generation with a filter expression on its ``created`` bin (a record
  deleted and written again restarts its generation) and
  ``POLICY_EXISTS_UPDATE`` (a record that is gone is not created again).
* **Deletes and listings** carry a filter expression that leaves out entries
  whose ``expires`` bin has passed, which the server still holds for up to
  two seconds (its TTL is counted in whole seconds).
"""

from __future__ import annotations

from typing import Any

import aerospike
from aerospike_helpers.expressions import base as exp  # type: ignore[import-untyped]

from kv_aerospike.plugin import AerospikeOptions
from kv_aerospike.records import (
    COLLECTION_BIN,
    CREATED_BIN,
    EXPIRES_BIN,
    collection_blob,
    record_ttl,
)

__all__ = [
    "client_config",
    "collection_filter",
    "create_policy",
    "expired_filter",
    "live_filter",
    "remove_policy",
    "version_policy",
    "write_policy",
]

Policy = dict[str, Any]
Expression = list[Any]

_COMMANDS = ("read", "write", "remove", "operate", "batch", "batch_parent_write", "query")
"""The client's default policies that take the store's ``command_timeout``."""


def _milliseconds(seconds: float | None) -> int:
    """A timeout for the client: whole milliseconds, at least 1; 0 means none."""
    return 0 if seconds is None else max(1, round(seconds * 1000))


def client_config(options: AerospikeOptions) -> dict[str, Any]:
    """The ``aerospike.client()`` configuration of a store's options.

    It holds the password (the client hashes it): never log or show it.
    """
    names = options.hosts or ("localhost",)
    ports = options.port or (options.default_port or 3000,)
    if len(ports) == 1:
        ports = ports * len(names)
    tls = options.tls_name is not None or options.tls_cafile is not None
    hosts = [
        (name, port, options.tls_name) if options.tls_name is not None else (name, port)
        for name, port in zip(names, ports)
    ]
    timeout = _milliseconds(options.command_timeout)
    config: dict[str, Any] = {
        "hosts": hosts,
        "connect_timeout": _milliseconds(options.connect_timeout),
        "policies": {command: {"total_timeout": timeout} for command in _COMMANDS},
    }
    if options.user is not None:
        config["user"] = options.user
        config["password"] = options.password
    if tls:
        config["tls"] = {"enable": True}
        if options.tls_cafile is not None:
            config["tls"]["cafile"] = options.tls_cafile
    return config


def write_policy(ttl: float | None) -> Policy:
    """A put's policy: send the key, set the record TTL."""
    return {"key": aerospike.POLICY_KEY_SEND, "ttl": record_ttl(ttl)}


def create_policy(ttl: float | None) -> Policy:
    """``put_if_absent``'s policy: a put that fails if the record exists."""
    return {**write_policy(ttl), "exists": aerospike.POLICY_EXISTS_CREATE}


def _written_at(created: float | None) -> Any:
    """The record still holds the write of time ``created`` (``None``: a record
    py-key-value wrote, which has no ``created`` bin)."""
    if created is None:
        return exp.Not(exp.BinExists(CREATED_BIN))
    return exp.Eq(exp.FloatBin(CREATED_BIN), created)


def version_policy(ttl: float | None, created: float | None) -> Policy:
    """A put's policy that writes only over the record's generation in the
    metadata (``meta={"gen": ...}``) and write time ``created``, and never
    creates a record."""
    return {
        **write_policy(ttl),
        "exists": aerospike.POLICY_EXISTS_UPDATE,
        "gen": aerospike.POLICY_GEN_EQ,
        "expressions": _written_at(created).compile(),
    }


def remove_policy(generation: int, created: float | None) -> Policy:
    """A remove's policy that deletes only the record of that generation and write time."""
    return {
        "gen": aerospike.POLICY_GEN_EQ,
        "generation": generation,
        "expressions": _written_at(created).compile(),
    }


def _live(now: float) -> Any:
    return exp.Or(exp.Not(exp.BinExists(EXPIRES_BIN)), exp.GT(exp.FloatBin(EXPIRES_BIN), now))


def live_filter(now: float) -> Expression:
    """Records whose entry is live at ``now`` (no ``expires`` bin, or a later one)."""
    result: Expression = _live(now).compile()
    return result


def collection_filter(collection: str, now: float) -> Expression:
    """Live records of ``collection``, and records py-key-value wrote (which name
    their collection only in their document, read afterwards)."""
    belongs = exp.Or(
        exp.Not(exp.BinExists(COLLECTION_BIN)),
        exp.Eq(exp.BlobBin(COLLECTION_BIN), collection_blob(collection)),
    )
    result: Expression = exp.And(_live(now), belongs).compile()
    return result


def expired_filter(now: float) -> Expression:
    """Records whose ``expires`` bin is at or before ``now`` (kv's records only)."""
    result: Expression = exp.LE(exp.FloatBin(EXPIRES_BIN), now).compile()
    return result
