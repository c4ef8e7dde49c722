"""What a store can do, declared once.

Every store class has one :class:`Capabilities` value. The optional protocol
methods (``keys``, ``collections``, ``destroy``, ``destroy_collection``,
``cull``) exist on a store exactly when the matching flag is set; the base
store checks this when the class is defined, and the conformance suite checks
that every declared capability works and no undeclared one is advertised.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

__all__ = ["OPTIONAL_OPERATIONS", "Capabilities"]

OPTIONAL_OPERATIONS: dict[str, str] = {
    "enumerate_keys": "keys",
    "enumerate_collections": "collections",
    "destroy": "destroy",
    "destroy_collection": "destroy_collection",
    "cull": "cull",
    "atomic": "put_if_absent",
}
"""Capability flag -> the public method it stands for (``atomic`` stands for four:
``put_if_absent``, ``get_versioned``, ``put_if_version``, ``delete_if_version``)."""

_EVERY_OPERATION = (
    "enumerate_keys",
    "enumerate_collections",
    "destroy",
    "destroy_collection",
    "cull",
)


@dataclass(frozen=True)
class Capabilities:
    """The capabilities of a store.

    Attributes:
        enumerate_keys: ``keys()`` and ``iter_keys()`` list a collection's keys.
        enumerate_collections: ``collections()`` and ``iter_collections()``.
        destroy: ``destroy()`` deletes everything this store holds.
        destroy_collection: ``destroy_collection()`` deletes one collection.
        cull: ``cull()`` reclaims expired entries.
        atomic: ``put_if_absent()``, ``get_versioned()``, ``put_if_version()``
            and ``delete_if_version()``, each one atomic step of the backend
            (see :mod:`kv.atomic`).
        native_ttl: the backend expires entries by itself (otherwise expired
            entries are hidden on read and reclaimed by ``cull``).
        persistent: entries outlive the process (a new store object on the
            same location sees them).
        bounded: the store evicts entries when full (memory with a limit).
        max_value_size: largest accepted value JSON in bytes, if limited.
        read_only: every write (``put``, ``put_many``, ``delete``,
            ``delete_many``) raises :class:`~kv.errors.ReadOnlyError`, or is
            ignored, and changes nothing; reads work as usual. The
            conformance suite skips the tests that write and checks this
            instead.
        returns_defaults: a read of a missing key returns a default value
            (and TTL) instead of ``None`` (``(None, None)`` for ``ttl``). The
            conformance suite learns the default by reading a key that was
            never written and expects it wherever a miss is read.
        asyncio_only: the store runs under asyncio only (its client library
            is asyncio-based); under trio its calls fail. ``kv check`` and
            the conformance suite refuse trio for it up front.
    """

    enumerate_keys: bool = False
    enumerate_collections: bool = False
    destroy: bool = False
    destroy_collection: bool = False
    cull: bool = False
    atomic: bool = False
    native_ttl: bool = False
    persistent: bool = False
    bounded: bool = False
    max_value_size: int | None = None
    read_only: bool = False
    returns_defaults: bool = False
    asyncio_only: bool = False

    @classmethod
    def every_operation(cls, **behaviour: bool | int | None) -> Capabilities:
        """The five optional operations of :class:`kv.store.FullStore` (all but
        ``atomic``), plus the flags given.

        The capabilities of a store built on :class:`kv.store.FullStore`::

            DUCKDB_CAPABILITIES = Capabilities.every_operation(persistent=True)

        An operation flag given as ``False`` leaves that one out
        (``every_operation(cull=False, native_ttl=True)``); ``atomic=True``
        adds the atomic operations.
        """
        return cls(**{**dict.fromkeys(_EVERY_OPERATION, True), **behaviour})  # type: ignore[arg-type]

    def flags(self) -> list[str]:
        """Names of the capabilities that are set, in declaration order."""
        return [f.name for f in fields(self) if getattr(self, f.name) is True]

    def operations(self) -> list[str]:
        """Names of the optional protocol methods this declares."""
        return [method for flag, method in OPTIONAL_OPERATIONS.items() if getattr(self, flag)]

    def as_dict(self) -> dict[str, bool | int | None]:
        """The capabilities as a plain dictionary (for listings and JSON)."""
        return asdict(self)

    def __str__(self) -> str:
        shown = self.flags()
        if self.max_value_size is not None:
            shown.append(f"max_value_size={self.max_value_size}")
        return ", ".join(shown) or "basic"
