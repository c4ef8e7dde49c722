"""kv-conformance: the shared test suite every kv store passes.

Subclass :class:`StoreConformance` in a plugin's tests and provide a ``store``
fixture, or run ``pytest --kv-url URL`` (or ``kv check URL``) against any
store URL. See ``docs/plugin-authors.md``.
"""

from kv_conformance.suite import StoreConformance
from kv_conformance.support import capabilities_of, eventually, need

__all__ = ["StoreConformance", "capabilities_of", "eventually", "need"]
