"""kv-valkey: kv stores on Valkey (standalone, TLS, cluster).

Once the distribution is installed, ``kv.connect("valkey://localhost:6379/0")`` opens
it; or build it with ``ValkeyStore(url, **options)``. The store (and the ``valkey``
client) is imported on first access to :class:`ValkeyStore` or :data:`VALKEY_DRIVER`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_valkey.plugin import VALKEY_CAPABILITIES, ValkeyOptions

if TYPE_CHECKING:
    from kv_valkey.store import VALKEY_DRIVER, ValkeyStore

__all__ = ["VALKEY_CAPABILITIES", "VALKEY_DRIVER", "ValkeyOptions", "ValkeyStore"]

__getattr__ = lazy_exports(
    __name__, {"VALKEY_DRIVER": "kv_valkey.store", "ValkeyStore": "kv_valkey.store"}
)
