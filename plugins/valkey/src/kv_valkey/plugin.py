"""The declaration of the Valkey schemes: capabilities, options and store class in one place.

Named by the ``kv.stores`` entry points of this distribution (``valkey``,
``valkeys``, ``valkey+cluster``). It imports only kv and kv-resp's options:
listing plugins or resolving a scheme never imports the ``valkey`` client or
:mod:`kv_valkey.store`.
"""

from __future__ import annotations

from kv_resp.options import RESP_CAPABILITIES, RespOptions, RespSchemes, resp_plugin

__all__ = ["PLUGIN", "VALKEY_CAPABILITIES", "VALKEY_SCHEMES", "VALKEY_URL_SCHEMES", "ValkeyOptions"]

VALKEY_CAPABILITIES = RESP_CAPABILITIES
"""What :class:`kv_valkey.store.ValkeyStore` can do (its class uses this value)."""

VALKEY_URL_SCHEMES = RespSchemes(plain="valkey", tls="valkeys", cluster="valkey+cluster")
"""What each scheme of kv-valkey means (TCP, TLS, cluster)."""

VALKEY_SCHEMES = VALKEY_URL_SCHEMES.all()
"""The URL schemes kv-valkey serves."""

ValkeyOptions = RespOptions
"""The options of the Valkey schemes: kv-resp's, shared with kv-redis."""

PLUGIN = resp_plugin(
    "kv_valkey.store:ValkeyStore", "Valkey (valkey-py asyncio): TCP, TLS or cluster"
)
"""The declaration the ``kv.stores`` entry points of this distribution name."""
