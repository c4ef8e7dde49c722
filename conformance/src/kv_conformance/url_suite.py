"""The suite against the store named by ``--kv-url`` (see :mod:`kv_conformance.plugin`).

The damaged-data and persistence tests use the ``kv.conformance`` hooks the
URL's plugin registers (see :mod:`kv_conformance.hooks`); they are skipped,
saying so, for a plugin that registers none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import kv
from kv.url import StoreURL
from kv_conformance.suite import StoreConformance


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "anyio_backend" in metafunc.fixturenames:
        backends = metafunc.config.getoption("--kv-backend") or ["asyncio"]
        metafunc.parametrize("anyio_backend", backends, scope="module")


class TestStoreAtURL(StoreConformance):
    """The conformance suite against ``--kv-url``."""

    @pytest.fixture
    async def store(
        self, request: pytest.FixtureRequest, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        url = request.config.getoption("--kv-url")
        if not url:
            pytest.skip("no --kv-url given")
        self.kv_scheme = StoreURL.parse(url).scheme
        store = kv.connect(url, default_collection=default_collection)
        if isinstance(store, kv.DestroyStore):
            await store.destroy()
        yield store
        if isinstance(store, kv.DestroyStore):
            await store.destroy()
        close = getattr(store, "close", None)
        if close is not None:
            await close()
