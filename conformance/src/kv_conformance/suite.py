"""The conformance suite as one class to subclass.

A plugin's tests subclass :class:`StoreConformance` and supply one fixture,
``store``, that yields an empty store (and keeps its server running)::

    import pytest
    from kv_conformance import StoreConformance

    class TestMyStore(StoreConformance):
        @pytest.fixture
        async def store(self, my_server):
            store = MyStore(url=my_server.url)
            yield store
            await store.destroy()
            await store.close()

The store's declared capabilities decide which optional tests run, and the
suite checks that declared capabilities work and undeclared ones are not
offered. Tests run under anyio; override the ``anyio_backend`` fixture to run
them under trio too.
"""

from __future__ import annotations

import pytest

from kv_conformance.basics import BasicTests
from kv_conformance.bulk import BulkTests
from kv_conformance.expiry import TTLTests
from kv_conformance.lifecycle import LifecycleTests
from kv_conformance.optional import CapabilityTests
from kv_conformance.rules import NameTests, ValueRuleTests

__all__ = ["StoreConformance"]


class StoreConformance(
    BasicTests,
    ValueRuleTests,
    NameTests,
    TTLTests,
    BulkTests,
    CapabilityTests,
    LifecycleTests,
):
    """Every behaviour a kv store must have. Subclass it and provide ``store``."""

    pytestmark = pytest.mark.anyio

    @pytest.fixture
    def anyio_backend(self) -> str:
        """The async runtime the tests run under; override to add ``"trio"``."""
        return "asyncio"
