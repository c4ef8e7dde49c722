"""keyring:// calls of one key run inline on a plain file keyring, in the thread otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import filelock
import pytest
from keyring.backend import KeyringBackend
from keyrings.alt.file import PlaintextKeyring

from kv.blocking import running_inline
from kv_keyring.store import KeyringStore

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class RecordingPlaintext(PlaintextKeyring):
    """keyrings.alt's plain file keyring, recording whether each call ran inline."""

    inline: list[bool]

    def get_password(self, service: str, username: str) -> Any:
        self.inline.append(running_inline())
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.inline.append(running_inline())
        super().set_password(service, username, password)


class OtherBackend(KeyringBackend):
    """Not keyrings.alt's plain file as far as the store can tell (an OS keyring, say):
    it passes every call on to a real plain file keyring."""

    priority = 1

    def __init__(self, file: RecordingPlaintext) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.file = file

    def get_password(self, service: str, username: str) -> str | None:
        return self.file.get_password(service, username)  # type: ignore[no-any-return]

    def set_password(self, service: str, username: str, password: str) -> None:
        self.file.set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self.file.delete_password(service, username)


def recording(keyring_file: Path) -> RecordingPlaintext:
    backend = RecordingPlaintext()
    backend.file_path = str(keyring_file)
    backend.inline = []
    return backend


def thread_busy(store: KeyringStore) -> bool:
    """Whether a call of the store runs in its worker thread."""
    running = store._engine.calls._running
    if running.acquire(blocking=False):
        running.release()
        return False
    return True


async def test_point_calls_run_inline_on_a_plain_file(keyring_file: Path) -> None:
    backend = recording(keyring_file)
    store = KeyringStore("inline", backend=backend, sweep_interval=None, inline_budget=60)
    try:
        await store.put("k", {"v": 1})
        assert await store.get("k") == {"v": 1}
        assert await store.delete("k") is True
        assert backend.inline
        assert all(backend.inline)
        backend.inline.clear()
        await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}])  # bulk: in the thread
        assert backend.inline
        assert not any(backend.inline)
    finally:
        await store.close()


async def test_a_point_call_waits_for_the_lock_in_the_thread(keyring_file: Path) -> None:
    backend = recording(keyring_file)
    store = KeyringStore("inline", backend=backend, sweep_interval=None, inline_budget=60)
    try:
        await store.put("k", {"v": 1})
        assert store._lock is not None
        other = filelock.FileLock(store._lock.lock_file, mode=0o600)
        other.acquire()  # another process's hold, as far as the store can tell
        backend.inline.clear()
        result: list[object] = []

        async def get() -> None:
            result.append(await store.get("k"))

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(get)
                with anyio.fail_after(30):
                    # The inline try gave up without waiting; the thread waits for the lock.
                    while not thread_busy(store):
                        await anyio.sleep(0.001)
                assert backend.inline == []
                other.release()
        finally:
            if other.is_locked:
                other.release()
        assert result == [{"v": 1}]
        assert backend.inline == [False]
    finally:
        await store.close()


async def test_other_backends_always_use_the_thread(keyring_file: Path) -> None:
    backend = recording(keyring_file)
    store = KeyringStore("inline", backend=OtherBackend(backend), sweep_interval=None)
    try:
        await store.put("k", {"v": 1})
        assert await store.get("k") == {"v": 1}
        assert backend.inline
        assert not any(backend.inline)
    finally:
        await store.close()


async def test_no_budget_runs_every_call_in_the_thread(keyring_file: Path) -> None:
    backend = recording(keyring_file)
    store = KeyringStore("inline", backend=backend, inline_budget=None, sweep_interval=None)
    try:
        await store.put("k", {"v": 1})
        assert await store.get("k") == {"v": 1}
        assert not any(backend.inline)
    finally:
        await store.close()
