"""The seed's example stack (logging > compression > fallback > retry > timeout > store),
and stacks of the value-changing wrappers, through the whole suite."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.fernet import Fernet

import kv
from kv_conformance import StoreConformance
from kv_wrappers import (
    BaseWrapper,
    CompressionWrapper,
    DefaultValueWrapper,
    FallbackWrapper,
    FernetEncryptionWrapper,
    LimitSizeWrapper,
    LoggingWrapper,
    PassthroughCacheWrapper,
    ReadOnlyWrapper,
    RetryWrapper,
    TimeoutWrapper,
)

pytestmark = pytest.mark.anyio

KEY = Fernet.generate_key()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def seed_stack(primary: kv.AsyncKeyValue, fallback: kv.AsyncKeyValue) -> LoggingWrapper:
    """LoggingWrapper(CompressionWrapper(FallbackWrapper(RetryWrapper(TimeoutWrapper(...)))))."""
    resilient = RetryWrapper(TimeoutWrapper(primary, timeout=5), initial_delay=0.001)
    return LoggingWrapper(
        CompressionWrapper(FallbackWrapper(resilient, fallback), min_size_to_compress=100),
        log_level=logging.DEBUG,
    )


class TestSeedStack(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = seed_stack(
            kv.connect("memory://", default_collection=default_collection),
            kv.connect("memory://", default_collection=default_collection),
        )
        yield wrapper
        await wrapper.close()


class TestEncryptedCachedStack(StoreConformance):
    """Limits > compression > encryption > cache (memory in front of memory)."""

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        cached = PassthroughCacheWrapper(
            kv.connect("memory://", default_collection=default_collection),
            kv.connect("memory://", default_collection=default_collection),
        )
        encrypted = FernetEncryptionWrapper(cached, fernet=Fernet(KEY))
        wrapper = LimitSizeWrapper(
            CompressionWrapper(encrypted, min_size_to_compress=0), max_size=5_000_000
        )
        yield wrapper
        await wrapper.close()


class TestReadOnlyDefaultsStack(StoreConformance):
    """Both behaviour capabilities at once, through logging."""

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        inner = kv.connect("memory://", default_collection=default_collection)
        wrapper = LoggingWrapper(ReadOnlyWrapper(DefaultValueWrapper(inner, {"default": 1})))
        yield wrapper
        await wrapper.close()

    async def writable_store(self, store: kv.AsyncKeyValue) -> kv.AsyncKeyValue | None:
        assert isinstance(store, LoggingWrapper)
        read_only = store.key_value
        assert isinstance(read_only, ReadOnlyWrapper)
        return read_only.key_value


class Unreachable(BaseWrapper):
    """A store whose backend refuses connections (counts the attempts)."""

    def __init__(self, key_value: kv.AsyncKeyValue) -> None:
        self.attempts = 0
        super().__init__(key_value)

    async def get(self, key: str, *, collection: str | None = None) -> Any:
        self.attempts += 1
        raise kv.StoreConnectionError("Connection refused", store="unreachable")


async def test_seed_stack_retries_then_falls_back_and_logs() -> None:
    primary = Unreachable(kv.connect("memory://"))
    fallback = kv.connect("memory://")
    await CompressionWrapper(fallback, min_size_to_compress=0).put("k", {"v": "x" * 500})
    store = seed_stack(primary, fallback)
    assert await store.get("k") == {"v": "x" * 500}
    assert primary.attempts == 4, "one try and three retries before falling back"
    assert store.capabilities.enumerate_keys
