"""kv-nats: a kv store in one NATS JetStream key-value bucket.

Once the distribution is installed, ``kv.connect("nats://localhost:4222/cache")`` opens
it; or build it directly with ``NatsStore("nats://localhost:4222/cache")``. The store
(and nats-py) is imported on first access to :class:`NatsStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_nats.plugin import NATS_CAPABILITIES, NatsOptions

if TYPE_CHECKING:
    from kv_nats.store import NatsStore

__all__ = ["NATS_CAPABILITIES", "NatsOptions", "NatsStore"]

__getattr__ = lazy_exports(__name__, {"NatsStore": "kv_nats.store"})
