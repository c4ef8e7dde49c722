"""The conformance suite as one class to subclass.

A plugin's tests subclass :class:`StoreConformance` and supply one fixture,
``store``, that yields an empty store (and keeps its server running), built
with the ``default_collection`` the suite asks for (the suite runs twice: with
the store's own default and with a non-default name)::

    import pytest
    from kv_conformance import StoreConformance

    class TestMyStore(StoreConformance):
        @pytest.fixture
        async def store(self, my_server, default_collection):
            store = MyStore(url=my_server.url, default_collection=default_collection)
            yield store
            await store.destroy()
            await store.close()

The store's declared capabilities decide which optional tests run, and the
suite checks that declared capabilities work and undeclared ones are not
offered. Two capabilities change what the suite expects rather than which
methods exist:

* ``read_only``: the suite's tests that write are skipped (the capability is
  the reason) and :class:`~kv_conformance.readonly.ReadOnlyTests` checks that
  every write is refused and changes nothing.
* ``returns_defaults``: the suite learns what a miss returns by reading a key
  that was never written (the ``miss`` fixture) and expects that wherever it
  reads a missing key, instead of ``None``.

Tests run under anyio; override the ``anyio_backend`` fixture to run them
under trio too.
"""

from __future__ import annotations

from typing import cast

import pytest

import kv
from kv.names import DEFAULT_COLLECTION
from kv_conformance.atomic import AtomicTests
from kv_conformance.basics import BasicTests
from kv_conformance.bulk import BulkTests
from kv_conformance.concurrency import ConcurrencyTests
from kv_conformance.expiry import TTLTests
from kv_conformance.lifecycle import LifecycleTests
from kv_conformance.optional import CapabilityTests
from kv_conformance.readonly import ReadOnlyTests, ReturnsDefaultsTests
from kv_conformance.resources import ResourceTests
from kv_conformance.rules import NameTests, NearNameTests, ValueRuleTests
from kv_conformance.support import Miss, capabilities_of, learn_miss

__all__ = ["NAMED_DEFAULT_COLLECTION", "StoreConformance"]

NAMED_DEFAULT_COLLECTION = "kv-suite-default"
"""The non-default ``default_collection`` of the suite's second pass."""

_SUITE_PACKAGE = __name__.rpartition(".")[0] + "."


class StoreConformance(
    BasicTests,
    ValueRuleTests,
    NameTests,
    NearNameTests,
    TTLTests,
    BulkTests,
    CapabilityTests,
    AtomicTests,
    LifecycleTests,
    ConcurrencyTests,
    ResourceTests,
    ReadOnlyTests,
    ReturnsDefaultsTests,
):
    """Every behaviour a kv store must have. Subclass it and provide ``store``."""

    pytestmark = pytest.mark.anyio

    @pytest.fixture
    def anyio_backend(self) -> str:
        """The async runtime the tests run under; override to add ``"trio"``."""
        return "asyncio"

    @pytest.fixture(params=[None, NAMED_DEFAULT_COLLECTION], ids=["own-default", "named-default"])
    def default_collection(self, request: pytest.FixtureRequest) -> str | None:
        """The ``default_collection`` the ``store`` fixture must give its store.

        The whole suite runs twice: once with the store's own default
        (``None``), once with a non-default name, so a store that ignores the
        option, or hard-codes ``"default_collection"`` somewhere, fails.
        """
        return cast("str | None", request.param)

    async def test_store_uses_the_requested_default_collection(
        self, store: kv.AsyncKeyValue, default_collection: str | None, miss: Miss
    ) -> None:
        if default_collection is None:
            expected = getattr(store, "default_collection", DEFAULT_COLLECTION)
            assert expected == DEFAULT_COLLECTION
            return
        assert getattr(store, "default_collection", default_collection) == default_collection, (
            "the store fixture must pass its default_collection argument to the store"
        )
        if capabilities_of(store).read_only:
            return
        await store.put("where", {"v": 1})
        assert await store.get("where", collection=default_collection) == {"v": 1}
        assert await store.get("where", collection=DEFAULT_COLLECTION) == miss.value
        await store.put_many(["many"], [{"v": 2}])
        assert await store.get_many(["many"], collection=default_collection) == [{"v": 2}]
        if isinstance(store, kv.EnumerateKeys):
            assert sorted(await store.keys()) == ["many", "where"]
        if isinstance(store, kv.EnumerateCollections):
            assert await store.collections() == [default_collection]

    @pytest.fixture
    async def miss(self, store: kv.AsyncKeyValue) -> Miss:
        """What the store returns for a missing key (see :class:`Miss`)."""
        return await learn_miss(store)

    @pytest.fixture(autouse=True)
    def _kv_read_only_gate(self, request: pytest.FixtureRequest) -> None:
        """Skip the suite's writing tests for a store that declares ``read_only``.

        Only the suite's own tests are gated; tests a subclass adds always run.
        """
        function = getattr(request, "function", None)
        module = getattr(function, "__module__", "") or ""
        if not module.startswith(_SUITE_PACKAGE):
            return
        if request.node.get_closest_marker("kv_reads_only") is not None:
            return
        store = request.getfixturevalue("store")
        if capabilities_of(store).read_only:
            pytest.skip("capability 'read_only' declared: this test writes")
