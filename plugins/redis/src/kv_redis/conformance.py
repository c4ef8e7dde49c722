"""kv-conformance hooks of the Redis schemes: damage an entry, reopen a store.

Registered in the ``kv.conformance`` entry-point group under ``redis``,
``rediss``, ``redis+unix`` and ``redis+cluster``, so the conformance suite
runs its damaged-data and persistence tests on Redis stores, in the plugin's
own tests and under ``pytest --kv-url redis://...`` or ``kv check`` (see
:mod:`kv_conformance.hooks`). Test support only: a store never imports this
module.
"""

from __future__ import annotations

from dataclasses import fields

from kv.protocols import AsyncKeyValue
from kv.resp.options import CONNECTION_OPTIONS
from kv_redis.store import RedisStore

__all__ = ["HOOKS", "RedisConformanceHooks"]


def _redis_store(store: AsyncKeyValue) -> RedisStore:
    if not isinstance(store, RedisStore):
        raise TypeError(f"the Redis conformance hooks need a RedisStore, not {type(store)}")
    return store


class RedisConformanceHooks:
    """The conformance hooks of :class:`~kv_redis.store.RedisStore`.

    Implements :class:`kv_conformance.hooks.ConformanceHooks` (structurally:
    kv-conformance is not imported).
    """

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Overwrite the entry's document with text that is not JSON, with a plain SET.

        The command goes through the store's client (standalone or cluster),
        outside the store's API.
        """
        redis = _redis_store(store)
        await redis.setup()
        name = redis.layout.key(collection, key)
        if not await redis.client.exists(name):
            return False
        await redis.client.set(name, b'{"not": "closed')
        return True

    async def reopen_store(self, store: AsyncKeyValue) -> AsyncKeyValue | None:
        """A new store object on the same server, database and namespace, with the same options.

        A store built on a user's client gets the same client (which neither
        store closes).
        """
        redis = _redis_store(store)
        options = {f.name: getattr(redis.options, f.name) for f in fields(redis.options) if f.init}
        client = options.pop("client")
        target = redis.target
        if target is None:
            kept = {
                name: value for name, value in options.items() if name not in CONNECTION_OPTIONS
            }
            return RedisStore(client=client, **kept)
        schemes = RedisStore.schemes
        if target.kind == "unix":
            url = f"{schemes.unix}://{target.path}"
            options["db"] = target.db
        elif target.kind == "cluster":
            url = f"{schemes.cluster}://" + ",".join(str(host) for host in target.hosts)
            options["db"] = None
        else:
            url = f"{schemes.tls if target.tls else schemes.plain}://{target.hosts[0]}"
            options["db"] = target.db
        return RedisStore(url, **options)


HOOKS = RedisConformanceHooks()
"""The object the ``kv.conformance`` entry points of the Redis schemes name."""
