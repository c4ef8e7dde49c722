"""The plugin module of kv-keyring: what kv imports to learn about ``keyring://``.

It is named by the ``kv.stores`` entry point of this distribution and imports
only ``kv.capabilities`` and ``kv.plugin``: listing plugins or resolving the
scheme never imports :mod:`keyring` or :mod:`kv_keyring.store`.
"""

from __future__ import annotations

from kv.capabilities import Capabilities
from kv.options import CommonOptions
from kv.plugin import StorePlugin

__all__ = ["KEYRING_CAPABILITIES", "PLUGIN"]

KEYRING_CAPABILITIES = Capabilities(
    enumerate_keys=True,
    enumerate_collections=True,
    destroy=True,
    destroy_collection=True,
    cull=True,
    native_ttl=False,
    persistent=True,
)
"""What :class:`kv_keyring.store.KeyringStore` can do (its class uses this value).

An instance whose keyring limits the size of one entry and that may not
split a value across more than ``max_chunks`` entries also sets
``max_value_size``.
"""


PLUGIN = StorePlugin(
    store="kv_keyring.store:KeyringStore",
    options=CommonOptions,
    capabilities=KEYRING_CAPABILITIES,
    description="The operating system's keyring (keyring library), one service per store",
    conformance="kv_keyring.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
