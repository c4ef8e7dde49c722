"""LoggingWrapper: the suite, what is logged, and that values are not unless asked."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest

import kv
from kv_conformance import StoreConformance
from kv_wrappers import LoggingWrapper

pytestmark = pytest.mark.anyio

SECRET = "s3cr3t-value"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestLoggingWrapper(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = LoggingWrapper(
            kv.connect("memory://", default_collection=default_collection), log_level=logging.DEBUG
        )
        yield wrapper
        await wrapper.close()


class TestLoggingWrapperLoggingValues(StoreConformance):
    @pytest.fixture
    async def store(
        self, caplog: pytest.LogCaptureFixture, default_collection: str | None
    ) -> AsyncIterator[kv.AsyncKeyValue]:
        caplog.set_level(logging.INFO, logger="kv.wrappers.logging")
        wrapper = LoggingWrapper(
            kv.connect("memory://", default_collection=default_collection),
            log_values=True,
            structured_logs=True,
        )
        yield wrapper
        await wrapper.close()


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "kv.wrappers.logging"]


async def test_start_and_finish_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kv.wrappers.logging")
    store = LoggingWrapper(kv.connect("memory://"))
    await store.get("test", collection="test")
    await store.put("test", {"password": SECRET}, collection="test", ttl=60)
    await store.get("test", collection="test")
    await store.delete_many([f"k{i}" for i in range(8)])
    lines = _messages(caplog)
    assert lines[0] == "Start GET collection='test' keys='test'"
    assert lines[1].startswith("Finish GET collection='test' keys='test' ({'hit': False, 'ms': ")
    assert lines[2] == "Start PUT collection='test' keys='test'"
    assert lines[3].startswith("Finish PUT collection='test' keys='test' ({'ttl': 60.0, 'ms':")
    assert "'hit': True" in lines[5]
    assert lines[6] == (
        "Start DELETE_MANY collection='default_collection'"
        " keys=['k0', 'k1', 'k2', 'k3', 'k4'] count=8"
    )
    assert "'deleted': 0" in lines[7]
    assert all(SECRET not in line for line in lines)
    assert all(record.levelno == logging.INFO for record in caplog.records)


async def test_values_are_never_logged_unless_asked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for structured in (False, True):
        store = LoggingWrapper(kv.connect("memory://"), structured_logs=structured)
        await store.put("k", {"password": SECRET})
        await store.put_many(["a"], [{"password": SECRET}])
        await store.get("k")
        await store.get_many(["k", "a"])
        await store.ttl("k")
        await store.ttl_many(["a"])
        with pytest.raises(kv.SerializationError):
            await store.put("bad", {"password": SECRET, "set": {1}})
    assert caplog.records
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert SECRET not in repr(getattr(record, "kv", ""))


async def test_values_are_logged_with_log_values(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kv.wrappers.logging")
    store = LoggingWrapper(kv.connect("memory://"), log_values=True)
    await store.put("k", {"v": "shown"})
    await store.get("k")
    lines = _messages(caplog)
    assert "value={'v': 'shown'}" in lines[0]
    assert "value={'v': 'shown'}" in lines[3]


async def test_structured_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kv.wrappers.logging")
    store = LoggingWrapper(kv.connect("memory://", default_collection="mine"), structured_logs=True)
    await store.get_many(["a", "b"])
    start, finish = (json.loads(line) for line in _messages(caplog))
    assert start == {
        "status": "Start",
        "action": "GET_MANY",
        "collection": "mine",
        "keys": ["a", "b"],
    }
    assert finish["status"] == "Finish"
    assert finish["extra"]["hits"] == 0
    assert finish["extra"]["misses"] == 2
    assert caplog.records[1].kv["extra"]["misses"] == 2  # type: ignore[attr-defined]


async def test_errors_are_logged_with_type_and_kv_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kv.wrappers.logging")
    store = LoggingWrapper(kv.connect("memory://"))
    with pytest.raises(kv.InvalidTTLError):
        await store.put("k", {"v": 1}, ttl=-5)
    error = caplog.records[-1]
    assert error.levelno == logging.WARNING
    assert error.getMessage().startswith("Error PUT collection='default_collection' keys='k'")
    assert "InvalidTTLError" in error.getMessage()


async def test_disabled_logger_costs_nothing_and_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="kv.wrappers.logging")
    store = LoggingWrapper(kv.connect("memory://"), log_level=logging.DEBUG)
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    assert _messages(caplog) == []


async def test_capabilities_pass_through_and_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kv.wrappers.logging")
    store = LoggingWrapper(kv.connect("memory://"))
    assert isinstance(store, kv.EnumerateKeys)
    await store.put_many(["a", "b"], [{}, {}], collection="c")
    assert sorted(await store.keys("c")) == ["a", "b"]
    assert await store.destroy_collection("c") is True  # type: ignore[attr-defined]
    lines = _messages(caplog)
    assert "Start KEYS collection='c'" in lines
    assert any(line.startswith("Finish KEYS collection='c' ({'count': 2") for line in lines)
    assert "Start DESTROY_COLLECTION collection='c'" in lines


async def test_logger_name_and_custom_logger() -> None:
    assert LoggingWrapper(kv.connect("memory://")).logger.name == "kv.wrappers.logging"
    mine = logging.getLogger("my.app")
    assert LoggingWrapper(kv.connect("memory://"), logger=mine).logger is mine
