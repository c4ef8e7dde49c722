"""The TTL rule: validation, reporting and expiry."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest

import kv
from kv_conformance.cases import INVALID_TTLS, VALID_TTLS
from kv_conformance.support import SHORT_TTL, Miss, each_case, eventually, outlive

__all__ = ["TTLTests"]


async def _put_and_read_back(
    store: kv.AsyncKeyValue, key: str, value: dict[str, Any], *, ttl: float
) -> None:
    """Put ``value`` with a short ``ttl`` and read it back before the TTL runs out.

    On a loaded machine the TTL can run out between the put and the read. A
    missing value is a failure only when the clock says the TTL had not run out
    yet; otherwise the pair is tried again, a few times.
    """
    for _ in range(5):
        started = time.monotonic()
        await store.put(key, value, collection="test", ttl=ttl)
        read = await store.get(key, collection="test")
        if read == value:
            return
        elapsed = time.monotonic() - started
        assert elapsed >= ttl, f"{key!r} read back as {read!r} {elapsed:.3f} s after a {ttl} s put"
    pytest.fail(f"{key!r} never read back within its {ttl} s TTL in five tries")


class TTLTests:
    """TTLs are validated alike everywhere, honoured to the sub-second."""

    async def test_put_with_ttl_reports_remaining_seconds(self, store: kv.AsyncKeyValue) -> None:
        await store.put("key", {"v": 1}, collection="test", ttl=100)
        value, remaining = await store.ttl("key", collection="test")
        assert value == {"v": 1}
        assert remaining is not None
        assert 97 <= remaining <= 100

    async def test_no_ttl_reports_none(self, store: kv.AsyncKeyValue) -> None:
        await store.put("key", {"v": 1}, collection="test")
        assert await store.ttl("key", collection="test") == ({"v": 1}, None)

    async def test_valid_ttl_types(self, store: kv.AsyncKeyValue) -> None:
        async def check(case: str, ttl: Any) -> None:
            # A 0.1 s TTL can run out between the two calls on a loaded machine:
            # a few tries, each of which must read the value back to pass.
            for _ in range(3):
                await store.put("key", {"v": 1}, collection="test", ttl=ttl)
                value, remaining = await store.ttl("key", collection="test")
                if value is not None:
                    break
            assert value == {"v": 1}
            assert remaining is not None
            assert 0 < remaining <= float(ttl)

        await each_case(VALID_TTLS, check)

    async def test_invalid_ttl_is_refused_and_nothing_written(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        async def check(case: str, ttl: Any) -> None:
            accepted: tuple[type[BaseException], ...] = (kv.InvalidTTLError,)
            if not isinstance(ttl, (int, float)):
                accepted = (kv.InvalidTTLError, TypeError)  # may fail the runtime type check
            with pytest.raises(accepted):
                await store.put("key", {"v": 1}, collection="test", ttl=ttl)
            with pytest.raises(accepted):
                await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="test", ttl=ttl)
            assert await store.get_many(["key", "a", "b"], collection="test") == miss.values(3)

        await each_case(INVALID_TTLS, check)

    async def test_numeric_invalid_ttl_is_the_same_error_through_put_and_put_many(
        self, store: kv.AsyncKeyValue
    ) -> None:
        for ttl in (0, -1, float("nan"), float("inf"), True):
            with pytest.raises(kv.InvalidTTLError):
                await store.put("k", {"v": 1}, collection="test", ttl=ttl)
            with pytest.raises(kv.InvalidTTLError):
                await store.put_many(["k"], [{"v": 1}], collection="test", ttl=ttl)

    async def test_expired_entry_is_never_returned(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        await _put_and_read_back(store, "key", {"v": 1}, ttl=0.4)

        async def gone() -> bool:
            return await store.get("key", collection="test") == miss.value

        assert await eventually(gone, within=3.0)
        assert await store.ttl("key", collection="test") == miss.ttl
        assert await store.get_many(["key"], collection="test") == miss.values(1)
        assert await store.ttl_many(["key"], collection="test") == miss.ttls(1)

    async def test_deleting_an_expired_entry_reports_it_absent(
        self, store: kv.AsyncKeyValue
    ) -> None:
        await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="test", ttl=SHORT_TTL)
        await store.put("live", {"v": 3}, collection="test")
        await outlive(SHORT_TTL)
        assert await store.delete("a", collection="test") is False
        assert await store.delete_many(["b", "live"], collection="test") == 1

    async def test_sub_second_ttl_is_honoured(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        await store.put("short", {"v": 1}, collection="test", ttl=SHORT_TTL)
        await store.put("long", {"v": 2}, collection="test", ttl=30)
        await outlive(SHORT_TTL)
        assert await store.get("short", collection="test") == miss.value
        assert await store.get("long", collection="test") == {"v": 2}

    async def test_put_without_ttl_clears_earlier_ttl(self, store: kv.AsyncKeyValue) -> None:
        await store.put("key", {"v": 1}, collection="test", ttl=SHORT_TTL)
        await store.put("key", {"v": 2}, collection="test")
        assert await store.ttl("key", collection="test") == ({"v": 2}, None)
        await outlive(SHORT_TTL)
        assert await store.get("key", collection="test") == {"v": 2}

    async def test_overwrite_resets_ttl(self, store: kv.AsyncKeyValue) -> None:
        await store.put("key", {"v": 1}, collection="test", ttl=SHORT_TTL)
        await store.put("key", {"v": 2}, collection="test", ttl=100)
        await outlive(SHORT_TTL)
        value, remaining = await store.ttl("key", collection="test")
        assert value == {"v": 2}
        assert remaining is not None
        assert remaining > 90

    async def test_put_many_applies_one_ttl_to_the_batch(self, store: kv.AsyncKeyValue) -> None:
        await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="test", ttl=50)
        results = await store.ttl_many(["a", "b"], collection="test")
        assert [value for value, _ in results] == [{"v": 1}, {"v": 2}]
        for _, remaining in results:
            assert remaining is not None
            assert 47 <= remaining <= 50

    async def test_put_many_with_short_ttl_expires_all(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="test", ttl=SHORT_TTL)

        async def gone() -> bool:
            return await store.get_many(["a", "b"], collection="test") == miss.values(2)

        assert await eventually(gone, within=3.0)

    async def test_ttl_many_mixes_missing_plain_and_expiring(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        await store.put("plain", {"v": 1}, collection="test")
        await store.put("expiring", {"v": 2}, collection="test", ttl=60)
        results = await store.ttl_many(["missing", "plain", "expiring", "plain"], collection="test")
        assert results[0] == miss.ttl
        assert results[1] == ({"v": 1}, None)
        assert results[2][0] == {"v": 2}
        assert results[2][1] is not None
        assert 57 <= results[2][1] <= 60
        assert results[3] == ({"v": 1}, None)

    async def test_remaining_ttl_decreases(self, store: kv.AsyncKeyValue) -> None:
        await store.put("key", {"v": 1}, collection="test", ttl=10)
        _, first = await store.ttl("key", collection="test")
        await anyio.sleep(0.1)
        _, second = await store.ttl("key", collection="test")
        assert first is not None
        assert second is not None
        assert second < first
