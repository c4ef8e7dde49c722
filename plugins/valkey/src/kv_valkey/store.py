"""``valkey://``, ``valkeys://``, ``valkey+cluster://``: kv on Valkey.

The store is :class:`kv_resp.RespStore` (kv-resp, shared with kv-redis) driven by the
``valkey`` client's asyncio API: :class:`valkey.asyncio.Valkey` for a
standalone server (TCP or TLS) and :class:`valkey.asyncio.ValkeyCluster` for
a cluster. See ``docs/plugins/valkey.md`` for the URL forms, options, the
storage layout and why this client rather than valkey-glide.
"""

from __future__ import annotations

from kv_resp.driver import redis_py_driver
from kv_resp.store import RespStore
from kv_valkey.plugin import PLUGIN, VALKEY_URL_SCHEMES, ValkeyOptions

__all__ = ["VALKEY_DRIVER", "ValkeyOptions", "ValkeyStore"]


VALKEY_DRIVER = redis_py_driver(
    "valkey-py",
    "valkey",
    "Valkey",
    # valkey-py's pools still take a command name (redis-py 5.3+ warns about one).
    pool_connection=lambda pool: pool.get_connection("SET"),
    has_data=lambda connection: connection.can_read_destructive(),
)
"""The ``valkey`` client, as :class:`kv_resp.RespStore` uses it."""


class ValkeyStore(RespStore, plugin=PLUGIN):
    """A kv store on Valkey: a standalone server (TCP, TLS) or a cluster.

    Build it from a URL (``kv.connect("valkey://localhost:6379/0")``) or
    directly: ``ValkeyStore("valkeys://cache:6380/0", ssl_ca_certs="ca.pem",
    namespace="app")``, or ``ValkeyStore(client=valkey.asyncio.Valkey(...))``
    to use a client you configured (it is never closed by the store).
    Options: :class:`kv_resp.RespOptions` (alias :data:`kv_valkey.ValkeyOptions`).
    """

    driver = VALKEY_DRIVER
    schemes = VALKEY_URL_SCHEMES
