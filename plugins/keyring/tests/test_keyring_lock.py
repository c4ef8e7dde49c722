"""The keyring lock (filelock's FileLock): where it lives, waiting for it, failing to open it."""

from __future__ import annotations

from pathlib import Path

import filelock
import pytest
from keyrings.alt.file import PlaintextKeyring

import kv

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_the_default_lock_file_sits_beside_a_file_keyring(
    backend: PlaintextKeyring, keyring_file: Path
) -> None:
    store = kv.connect("keyring://svc", backend=backend)
    try:
        await store.put("k", {"v": 1})
    finally:
        await store.close()  # type: ignore[attr-defined]
    assert Path(f"{keyring_file}.kv-lock").is_file()


async def test_a_held_lock_is_waited_for_then_a_timeout_naming_it(
    backend: PlaintextKeyring, tmp_path: Path
) -> None:
    lock_path = tmp_path / "locks" / "held.lock"
    store = kv.connect("keyring://svc", backend=backend, lock_path=lock_path, lock_timeout=0.2)
    holder = filelock.FileLock(lock_path)  # another holder: another process, or another store
    try:
        with holder:
            with pytest.raises(kv.StoreTimeoutError) as caught:
                await store.put("k", {"v": 1})
            message = str(caught.value)
            assert str(lock_path) in message
            assert "0.2 seconds" in message
            assert "lock_timeout" in message
        await store.put("k", {"v": 2})  # released: the store goes on
        assert await store.get("k") == {"v": 2}
    finally:
        await store.close()  # type: ignore[attr-defined]


async def test_two_stores_of_one_process_exclude_each_other(
    backend: PlaintextKeyring, tmp_path: Path
) -> None:
    """Each store holds its own lock object: while one holds the file, the other waits."""
    lock_path = tmp_path / "shared.lock"
    first = kv.connect("keyring://one", backend=backend, lock_path=lock_path)
    second = kv.connect("keyring://two", backend=backend, lock_path=lock_path, lock_timeout=0.2)
    try:
        await first.put("k", {"v": 1})
        await second.put("k", {"v": 2})
        assert first._lock is not None  # type: ignore[attr-defined]
        with first._lock, pytest.raises(kv.StoreTimeoutError):  # type: ignore[attr-defined]
            await second.get("k")
        assert await second.get("k") == {"v": 2}
    finally:
        await first.close()  # type: ignore[attr-defined]
        await second.close()  # type: ignore[attr-defined]


async def test_a_lock_file_that_cannot_be_created_is_a_setup_error(
    backend: PlaintextKeyring, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("not a folder")
    store = kv.connect("keyring://svc", backend=backend, lock_path=tmp_path / "file" / "x.lock")
    try:
        with pytest.raises(kv.StoreSetupError, match="lock file"):
            await store.put("k", {"v": 1})
    finally:
        await store.close()  # type: ignore[attr-defined]
