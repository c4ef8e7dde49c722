"""kv-etcd: a kv store in etcd v3, keys under a prefix.

Once the distribution is installed, ``kv.connect("etcd://127.0.0.1:2379/app/cache")``
opens it; or build it directly with ``EtcdStore("etcd://127.0.0.1:2379/app/cache")``.
The store (and aetcd) is imported on first access to :class:`EtcdStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_etcd.plugin import ETCD_CAPABILITIES, EtcdOptions

if TYPE_CHECKING:
    from kv_etcd.store import EtcdStore

__all__ = ["ETCD_CAPABILITIES", "EtcdOptions", "EtcdStore"]

__getattr__ = lazy_exports(__name__, {"EtcdStore": "kv_etcd.store"})
