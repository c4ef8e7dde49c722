"""kv-conformance: the shared test suite every kv store passes.

Subclass :class:`StoreConformance` in a plugin's tests and provide a ``store``
fixture, or run ``pytest --kv-url URL`` (or ``kv check URL``) against any
store URL. See ``docs/plugin-authors.md``.
"""

from kv_conformance.suite import StoreConformance
from kv_conformance.support import Miss, capabilities_of, eventually, learn_miss, need, reads_only

__all__ = [
    "Miss",
    "StoreConformance",
    "capabilities_of",
    "eventually",
    "learn_miss",
    "need",
    "reads_only",
]
