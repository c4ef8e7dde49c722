"""kv-wrappers: stackable wrappers for any kv store.

Every wrapper implements :class:`kv.AsyncKeyValue` over another store, so
wrappers stack in any order::

    from kv_wrappers import BaseWrapper

    store = BaseWrapper(kv.connect("memory://"))

Optional capabilities (``keys``, ``collections``, ``destroy``...) pass
through a wrapper when the wrapped store has them; see docs/wrappers.md.
"""

from kv_wrappers.base import BaseWrapper, capabilities_of

__all__ = ["BaseWrapper", "capabilities_of"]
