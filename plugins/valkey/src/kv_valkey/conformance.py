"""kv-conformance hooks of the Valkey schemes: damage an entry, reopen a store.

Registered in the ``kv.conformance`` entry-point group under ``valkey``,
``valkeys`` and ``valkey+cluster``, so the conformance suite runs its
damaged-data and persistence tests on Valkey stores, in the plugin's own
tests and under ``pytest --kv-url valkey://...`` or ``kv check`` (see
:mod:`kv_conformance.hooks`). Test support only: a store never imports this
module.
"""

from __future__ import annotations

from dataclasses import fields

from kv.protocols import AsyncKeyValue
from kv.resp.options import CONNECTION_OPTIONS
from kv_valkey.store import ValkeyStore

__all__ = ["HOOKS", "ValkeyConformanceHooks"]


def _valkey_store(store: AsyncKeyValue) -> ValkeyStore:
    if not isinstance(store, ValkeyStore):
        raise TypeError(f"the Valkey conformance hooks need a ValkeyStore, not {type(store)}")
    return store


class ValkeyConformanceHooks:
    """The conformance hooks of :class:`~kv_valkey.store.ValkeyStore`.

    Implements :class:`kv_conformance.hooks.ConformanceHooks` (structurally:
    kv-conformance is not imported).
    """

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's document with text that is not JSON, with a plain SET.

        The command goes through the store's client (standalone or cluster),
        outside the store's API.
        """
        valkey = _valkey_store(store)
        await valkey.setup()
        name = valkey.layout.key(collection, key)
        if not await valkey.client.exists(name):
            return False
        await valkey.client.set(name, b'{"not": "closed')
        return True

    async def reopen_store(self, store: AsyncKeyValue) -> AsyncKeyValue | None:
        """A new store object on the same server, database and namespace, with the same options.

        A store built on a user's client gets the same client (which neither
        store closes).
        """
        valkey = _valkey_store(store)
        options = {
            f.name: getattr(valkey.options, f.name) for f in fields(valkey.options) if f.init
        }
        client = options.pop("client")
        target = valkey.target
        if target is None:
            kept = {
                name: value for name, value in options.items() if name not in CONNECTION_OPTIONS
            }
            return ValkeyStore(client=client, **kept)
        schemes = ValkeyStore.schemes
        if target.kind == "cluster":
            url = f"{schemes.cluster}://" + ",".join(str(host) for host in target.hosts)
            options["db"] = None
        else:
            url = f"{schemes.tls if target.tls else schemes.plain}://{target.hosts[0]}"
            options["db"] = target.db
        return ValkeyStore(url, **options)


HOOKS = ValkeyConformanceHooks()
"""The object the ``kv.conformance`` entry points of the Valkey schemes name."""
