"""rocksdb:// delete of one key (a read and a plain delete) and the expiry check it uses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from kv.names import compound_key
from kv_rocksdb.store import RocksDBStore, _is_expired

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[RocksDBStore]:
    store = RocksDBStore(tmp_path / "db", sweep_interval=None)
    try:
        yield store
    finally:
        await store.close()


async def test_delete_counts_a_live_entry_and_removes_an_expired_one(
    store: RocksDBStore,
) -> None:
    await store.put("live", {"expires_at": "1970-01-01T00:00:00+00:00"})  # only its value
    await store.put("short", {"v": 1}, ttl=0.05)
    with anyio.fail_after(30):
        while await store.get("short") is not None:
            await anyio.sleep(0.02)
    db = store._db
    assert db is not None
    assert (
        db.get(compound_key(store.default_collection, "short")) is not None
    )  # expired, still stored
    assert await store.delete("short") is False
    assert db.get(compound_key(store.default_collection, "short")) is None  # removed all the same
    assert await store.delete("live") is True
    assert await store.delete("live") is False
    assert await store.delete("never") is False
    assert db.get(compound_key(store.default_collection, "live")) is None


def test_expiry_check() -> None:
    past, future = "2000-01-01T00:00:00+00:00", "2999-01-01T00:00:00+00:00"
    now = 1_700_000_000.0
    assert not _is_expired(b'{"key":"k","value":{}}', now)  # no expiry written
    assert _is_expired(json.dumps({"expires_at": past}).encode(), now)
    assert not _is_expired(json.dumps({"expires_at": future}).encode(), now)
    # Escaped, the name is still "expires_at" to a JSON reader: it is parsed.
    assert _is_expired(b'{"\\u0065xpires_at":"' + past.encode() + b'"}', now)
    assert not _is_expired(b'{"value":{"expires_at":"' + past.encode() + b'"}}', now)
    assert not _is_expired(b"not json", now)
